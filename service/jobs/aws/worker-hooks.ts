/**
 * What a worker on the AWS worker fleet adds to the worker loop: scale-in protection while busy, the
 * termination lifecycle hook's drain, and Spot's notices (service/jobs/aws/spot.ts): running jobs finish
 * within the two-minute notice, the rest go back uncounted, the lifecycle action is completed once pending. The infra writes the group and hook names (AWS_WORKER_ENV) for the
 * worker role; the instance id comes from IMDSv2. Without those names (a worker off the fleet, the
 * emulator runs) the hooks are off; with only one of them the settings are broken and it is a ConfigError.
 */
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  SetInstanceProtectionCommand,
} from "@aws-sdk/client-auto-scaling";
import { ConfigError, type Env } from "../../config";
import { AWS_WORKER_ENV } from "../aws-env";
import { boundedClientConfig } from "./client-config";
import { pause } from "./pause";
import { IMDS_DEFAULT_ENDPOINT, IMDS_ENDPOINT_ENV, Imds } from "./imds";
import { DEFAULT_RELEASE_AFTER_IDLE_MS, createScaleInProtection, type ScaleInProtection } from "./scale-in-protection";
import { DEFAULT_TERMINATION_POLL_MS, watchTermination, type TerminationOutcome } from "./termination";
import { DEFAULT_SPOT_POLL_MS, readSpotSignal, spotDrainBudgetMs, watchSpot, type SpotSignal } from "./spot";

/**
 * After a Spot drain, how long the process waits for Auto Scaling to take the instance (the interruption
 * itself, or Capacity Rebalancing's replacement then termination through the hook) before it gives up and
 * exits for systemd to restart it: a rebalance recommendation that led nowhere (the group at its max size)
 * must not leave an instance that runs no worker. A restarted worker ignores a recommendation this old.
 */
export const SPOT_AWAIT_TERMINATION_MS = 10 * 60_000;
/** The exit code then (EX_TEMPFAIL): not 0, so systemd's Restart=on-failure starts the worker again. */
export const SPOT_RESTART_EXIT_CODE = 75;

export interface AwsWorkerHooksConfig {
  autoScalingGroup: string;
  lifecycleHook: string;
  imdsEndpoint: string;
}

/** Undefined when the worker is not on the fleet (neither name set). */
export function loadAwsWorkerHooksConfig(env: Env): AwsWorkerHooksConfig | undefined {
  const group = env[AWS_WORKER_ENV.autoScalingGroup]?.trim();
  const hook = env[AWS_WORKER_ENV.lifecycleHook]?.trim();
  if (!group && !hook) return undefined;
  if (!group || !hook) {
    const missing = group ? AWS_WORKER_ENV.lifecycleHook : AWS_WORKER_ENV.autoScalingGroup;
    const present = group ? AWS_WORKER_ENV.autoScalingGroup : AWS_WORKER_ENV.lifecycleHook;
    throw new ConfigError(
      `${missing} is not set while ${present} is: a fleet worker needs both (the infra writes them)`,
    );
  }
  // Auto Scaling names: 1-255 characters without control characters; the infra's are [A-Za-z0-9-].
  for (const [name, value] of [
    [AWS_WORKER_ENV.autoScalingGroup, group],
    [AWS_WORKER_ENV.lifecycleHook, hook],
  ] as const) {
    if (!/^[A-Za-z0-9_.:/@-]{1,255}$/.test(value)) {
      throw new ConfigError(
        `${name}=${JSON.stringify(value)} is invalid: expected an Auto Scaling name such as fleet-dev-workers`,
      );
    }
  }
  const imdsEndpoint = (env[IMDS_ENDPOINT_ENV]?.trim() || IMDS_DEFAULT_ENDPOINT).replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]+$/.test(imdsEndpoint)) {
    throw new ConfigError(
      `${IMDS_ENDPOINT_ENV}=${JSON.stringify(env[IMDS_ENDPOINT_ENV])} is invalid: expected a URL such as ${IMDS_DEFAULT_ENDPOINT}`,
    );
  }
  return { autoScalingGroup: group, lifecycleHook: hook, imdsEndpoint };
}

export interface AwsWorkerHooks {
  /** For the worker loop's onBusyChange. */
  onBusyChange(busy: boolean): Promise<void>;
  /** Starts watching for termination; `drain` is the worker's stop. Resolves as watchTermination does. */
  watch(drain: () => Promise<void>): Promise<TerminationOutcome>;
  /** Resolves with the first Spot notice (a rebalance recommendation older than the restart wait ignored). */
  watchSpot(): Promise<SpotSignal | undefined>;
  /** Stops watching, drops the protection, closes the client. */
  close(): Promise<void>;
  readonly protection: ScaleInProtection;
}

export interface AwsWorkerHooksOptions {
  config: AwsWorkerHooksConfig;
  region: string;
  warn(err: unknown, msg: string): void;
  /** Tests shorten these. */
  releaseAfterIdleMs?: number;
  terminationPollMs?: number;
  spotPollMs?: number;
  awaitTerminationMs?: number;
  /** Endpoint of the Auto Scaling API (the SDK's AWS_ENDPOINT_URL_AUTO_SCALING also works). */
  autoScalingEndpoint?: string;
}

export async function openAwsWorkerHooks(options: AwsWorkerHooksOptions): Promise<AwsWorkerHooks> {
  const { config, warn } = options;
  const imds = new Imds(config.imdsEndpoint);
  const instanceId = await imds.get("instance-id");
  if (!instanceId) throw new Error("IMDS has no instance-id: the worker hooks need an EC2 instance");
  const autoScaling = new AutoScalingClient({
    ...boundedClientConfig(),
    region: options.region,
    ...(options.autoScalingEndpoint ? { endpoint: options.autoScalingEndpoint } : {}),
  });
  const protection = createScaleInProtection({
    releaseAfterIdleMs: options.releaseAfterIdleMs ?? DEFAULT_RELEASE_AFTER_IDLE_MS,
    warn,
    async set(protect) {
      await autoScaling.send(
        new SetInstanceProtectionCommand({
          AutoScalingGroupName: config.autoScalingGroup,
          InstanceIds: [instanceId],
          ProtectedFromScaleIn: protect,
        }),
      );
    },
  });
  const stopWatching = new AbortController();
  return {
    protection,
    onBusyChange: (busy) => protection.onBusyChange(busy),
    watch(drain) {
      return watchTermination({
        readState: () => imds.get("autoscaling/target-lifecycle-state"),
        drain,
        complete: async () => {
          await autoScaling.send(
            new CompleteLifecycleActionCommand({
              AutoScalingGroupName: config.autoScalingGroup,
              LifecycleHookName: config.lifecycleHook,
              InstanceId: instanceId,
              LifecycleActionResult: "CONTINUE",
            }),
          );
        },
        pollMs: options.terminationPollMs ?? DEFAULT_TERMINATION_POLL_MS,
        signal: stopWatching.signal,
        warn,
      });
    },
    watchSpot() {
      const staleMs = options.awaitTerminationMs ?? SPOT_AWAIT_TERMINATION_MS;
      return watchSpot({
        read: async () => {
          const found = await readSpotSignal((path) => imds.get(path));
          // A recommendation a previous run of this worker already drained for (and then waited out).
          return found?.kind === "rebalance" && Date.now() - found.noticeAtMs > staleMs ? undefined : found;
        },
        pollMs: options.spotPollMs ?? DEFAULT_SPOT_POLL_MS,
        signal: stopWatching.signal,
        warn,
      });
    },
    async close() {
      stopWatching.abort();
      await protection.close();
      autoScaling.destroy();
    },
  };
}

/** How the worker process drains for a reason other than a signal (runWorkerProcess's onStart). */
export type ProcessDrain = (reason: string, deadline?: { timeoutMs: number; atDeadline: "handBack" }) => Promise<void>;

/**
 * What main.ts hands runWorkerProcess for a worker on the AWS fleet: onBusyChange, the termination and Spot
 * watches (started with the worker's drain), the cleanup and the exit code. Empty off the fleet.
 */
export async function fleetWorkerProcessHooks(
  config: AwsWorkerHooksConfig | undefined,
  region: string,
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void },
  overrides: Partial<Omit<AwsWorkerHooksOptions, "config" | "region" | "warn">> = {},
): Promise<{
  onBusyChange?: (busy: boolean) => Promise<void>;
  onStart?: (drain: ProcessDrain) => void;
  onStopped?: () => Promise<void>;
  exitCode?: () => number;
}> {
  if (!config) return {};
  const hooks = await openAwsWorkerHooks({ config, region, warn: (err, msg) => log.warn({ err }, msg), ...overrides });
  let watching: Promise<void> = Promise.resolve();
  let terminating = false;
  let completed = false;
  let spotDrained = false;
  let exitCode = 0;
  return {
    onBusyChange: hooks.onBusyChange,
    onStart: (drain) => {
      watching = hooks
        .watch(() => {
          terminating = true;
          return drain("the instance is terminating (lifecycle hook)");
        })
        .then(
          (outcome) => {
            completed = outcome === "completed";
            log.info({ outcome }, "termination watch ended");
          },
          (err: unknown) => log.warn({ err }, "termination watch failed"),
        );
      void hooks
        .watchSpot()
        .then((signal) => {
          if (!signal) return;
          spotDrained = true;
          const timeoutMs = spotDrainBudgetMs(signal, Date.now());
          log.warn(
            { signal, drainTimeoutMs: timeoutMs },
            "Spot notice: finishing what fits in the notice, handing back the rest",
          );
          return drain(`Spot ${signal.kind}`, { timeoutMs, atDeadline: "handBack" });
        })
        .catch((err: unknown) => log.warn({ err }, "Spot drain failed; the jobs' leases will expire"));
    },
    // After a termination drain the process must not exit before the lifecycle action is completed; after a
    // Spot drain it waits (bounded) for Auto Scaling to take the instance, completing the hook once pending.
    onStopped: async () => {
      if (terminating) await watching;
      else if (spotDrained) {
        // A stop asked for meanwhile (systemd, an operator) ends the wait: the process exits as asked.
        const waited = new AbortController();
        let signalled = false;
        const onSignal = () => {
          signalled = true;
          waited.abort();
        };
        process.once("SIGTERM", onSignal);
        await Promise.race([watching, pause(overrides.awaitTerminationMs ?? SPOT_AWAIT_TERMINATION_MS, waited.signal)]);
        process.off("SIGTERM", onSignal);
        waited.abort();
        if (!completed && !signalled) {
          exitCode = SPOT_RESTART_EXIT_CODE;
          log.warn({ exitCode }, "the Spot notice led to no termination: exiting for systemd to restart the worker");
        }
      }
      await hooks.close();
    },
    exitCode: () => exitCode,
  };
}
