/**
 * The numbers that the service, the load balancer and systemd must agree on. The service and the
 * Pulumi program both import them from here, so they cannot drift apart; test/timing.test.ts checks
 * the relations between them (see shared/design.md, "The numbers that must agree").
 */

/** ALB idle timeout: how long the ALB keeps an idle connection to a target before reusing or closing it. */
export const ALB_IDLE_TIMEOUT_S = 60;

/**
 * Node closes idle keep-alive sockets after this. It must outlive the ALB's idle timeout: otherwise the
 * service closes a socket the ALB is about to reuse, and the client gets a sporadic 502.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * Time allowed to receive a request's headers. Above keepAliveTimeout, as AWS advises for Node behind an
 * ALB, and no more than requestTimeout, or Node refuses to start.
 */
export const HEADERS_TIMEOUT_MS = 66_000;

/** Time allowed to receive a whole request (headers and body) from the ALB. */
export const REQUEST_TIMEOUT_MS = 90_000;

/**
 * The longest a request may take to answer: a CPU task of /api that runs past it is aborted and
 * answered 503. Everything that waits for in-flight requests (drain, deregistration) waits at least this.
 */
export const LONGEST_REQUEST_MS = 25_000;

/** Default hard deadline of a graceful drain (SHUTDOWN_TIMEOUT_MS): in-flight requests get this long. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;

/** systemd's TimeoutStopSec for the unit: after it, systemd SIGKILLs. Must exceed every drain deadline. */
export const SYSTEMD_TIMEOUT_STOP_S = 45;

/** The largest SHUTDOWN_TIMEOUT_MS that still ends before systemd's SIGKILL, with a margin to exit. */
export const MAX_SHUTDOWN_TIMEOUT_MS = SYSTEMD_TIMEOUT_STOP_S * 1000 - 5_000;

/** Target group deregistration delay: the ALB lets in-flight requests of a leaving target finish this long. */
export const DEREGISTRATION_DELAY_S = 30;

/** Target group health check: a new instance takes traffic after interval × healthy threshold. */
export const HEALTH_CHECK_PATH = "/healthcheck";
export const HEALTH_CHECK_INTERVAL_S = 10;
export const HEALTH_CHECK_TIMEOUT_S = 5;
export const HEALTHY_THRESHOLD = 2;
export const UNHEALTHY_THRESHOLD = 2;

/** The port the service listens on, on the instances and by default locally. */
export const SERVICE_PORT = 3000;
