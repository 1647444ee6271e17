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

/**
 * systemd's TimeoutStopSec for the unit: after it, systemd SIGKILLs. A stop is the linger (at most the
 * health-check window) and then the drain (at most SHUTDOWN_TIMEOUT_MS); it must exceed both together.
 */
export const SYSTEMD_TIMEOUT_STOP_S = 70;

/** What the service needs after its drain deadline: the primary's grace, then exit. */
const EXIT_MARGIN_MS = 5_000;

/** Target group deregistration delay: the ALB lets in-flight requests of a leaving target finish this long. */
export const DEREGISTRATION_DELAY_S = 30;

/** Target group health check: a new instance takes traffic after interval × healthy threshold. */
export const HEALTH_CHECK_PATH = "/healthcheck";
export const HEALTH_CHECK_INTERVAL_S = 10;
export const HEALTH_CHECK_TIMEOUT_S = 5;
export const HEALTHY_THRESHOLD = 2;
export const UNHEALTHY_THRESHOLD = 2;

/**
 * The health-check window: how long a load balancer may keep routing to a target after its health check
 * turns 503: that many failed checks, one interval apart, the last one just missing the previous pass,
 * plus one check timeout for the load balancer to act on the verdict (with HAProxy in the same settings,
 * test/lb, the window without that margin ran out a moment before the LB stopped sending). A SIGTERM that
 * arrives while the ALB still routes here (systemctl restart, a reboot, Spot, a terminate outside the
 * group) keeps serving at most this long before it drains.
 */
export const HEALTH_CHECK_WINDOW_MS = (UNHEALTHY_THRESHOLD * HEALTH_CHECK_INTERVAL_S + HEALTH_CHECK_TIMEOUT_S) * 1000;

/**
 * After SIGTERM, no request (other than health checks) for this long, on a new or a kept-alive
 * connection, means the load balancer has stopped sending: the drain starts. It is all a stop on the
 * ASG's path adds (the ALB stopped sending a deregistration delay ago). Traffic sparser than one request
 * per quiet period can still meet a closed port after it: the price of a fast stop when nothing comes.
 */
export const QUIET_PERIOD_MS = 2_000;

/** The largest SHUTDOWN_TIMEOUT_MS that, after the longest linger, still ends before systemd's SIGKILL. */
export const MAX_SHUTDOWN_TIMEOUT_MS = SYSTEMD_TIMEOUT_STOP_S * 1000 - HEALTH_CHECK_WINDOW_MS - EXIT_MARGIN_MS;

/** The port the service listens on, on the instances and by default locally. */
export const SERVICE_PORT = 3000;
