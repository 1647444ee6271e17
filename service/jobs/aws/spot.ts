/**
 * Spot, from the worker's side: EC2 announces the end of a Spot instance in its instance metadata, and the
 * worker polls for it (IMDSv2, service/jobs/aws/imds.ts):
 *  - `spot/instance-action`: the interruption notice, `{"action": "terminate" | "stop" | "hibernate",
 *    "time": "<UTC ISO-8601>"}`, present about two minutes before `time`, otherwise 404
 *    (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html; AWS
 *    recommends a check every 5 seconds);
 *  - `events/recommendations/rebalance`: `{"noticeTime": "<UTC ISO-8601>"}` when the instance is at elevated
 *    risk of interruption, otherwise 404; it may come earlier than the notice or together with it
 *    (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/rebalance-recommendations.html). With Capacity
 *    Rebalancing on, Auto Scaling then launches a replacement and terminates this instance through the
 *    termination lifecycle hook.
 * On either the worker stops taking jobs, lets running ones finish within the notice less a margin, hands the
 * rest back uncounted (another worker runs them from the start), and completes the lifecycle action when one
 * is pending. Both notices are best effort: a job lost without one comes back when its lease expires.
 */
import { pause } from "./pause";

export const SPOT_ACTION_PATH = "spot/instance-action";
export const REBALANCE_PATH = "events/recommendations/rebalance";

/** The interruption notice's lead: EC2 acts about two minutes after the notice appears. */
export const SPOT_NOTICE_MS = 120_000;
/**
 * Kept free at the end of the notice: the hand-back of the jobs still running (a DynamoDB write and an SQS
 * send each), the lifecycle action's completion and the process exit, with retries of a throttled call.
 */
export const SPOT_MARGIN_MS = 20_000;
/** AWS's recommendation for polling the notice. */
export const DEFAULT_SPOT_POLL_MS = 5_000;

export type SpotSignal =
  { kind: "interruption"; action: string; atMs: number } | { kind: "rebalance"; noticeAtMs: number };

export class SpotNoticeError extends Error {
  override name = "SpotNoticeError";
  constructor(
    readonly path: string,
    readonly body: string,
  ) {
    super(`IMDS ${path} answered something that is not a notice: ${JSON.stringify(body.slice(0, 200))}`);
  }
}

function parseTime(path: string, body: string, field: string): { value: Record<string, unknown>; atMs: number } {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new SpotNoticeError(path, body);
  }
  const time = (value as Record<string, unknown> | null)?.[field];
  const atMs = typeof time === "string" ? Date.parse(time) : NaN;
  if (Number.isNaN(atMs)) throw new SpotNoticeError(path, body);
  return { value: value as Record<string, unknown>, atMs };
}

/**
 * The Spot signal IMDS holds now, the interruption first (it is the one with a deadline); undefined when
 * neither is there (404: an On-Demand instance, or a Spot one not at risk).
 */
export async function readSpotSignal(
  get: (path: string) => Promise<string | undefined>,
): Promise<SpotSignal | undefined> {
  const action = await get(SPOT_ACTION_PATH);
  if (action !== undefined) {
    const { value, atMs } = parseTime(SPOT_ACTION_PATH, action, "time");
    return { kind: "interruption", action: String(value.action), atMs };
  }
  const rebalance = await get(REBALANCE_PATH);
  if (rebalance !== undefined)
    return { kind: "rebalance", noticeAtMs: parseTime(REBALANCE_PATH, rebalance, "noticeTime").atMs };
  return undefined;
}

/**
 * How long running jobs may go on after `signal`, seen at `nowMs`: until the interruption time (at most the
 * two-minute notice), or for a rebalance recommendation (no deadline of its own, but an interruption may
 * follow at once) the two-minute notice, less SPOT_MARGIN_MS for the hand-back; never below 0.
 */
export function spotDrainBudgetMs(signal: SpotSignal, nowMs: number, marginMs = SPOT_MARGIN_MS): number {
  const leftMs = signal.kind === "interruption" ? Math.min(signal.atMs - nowMs, SPOT_NOTICE_MS) : SPOT_NOTICE_MS;
  return Math.max(0, leftMs - marginMs);
}

export interface SpotWatchOptions {
  read(): Promise<SpotSignal | undefined>;
  pollMs: number;
  signal: AbortSignal;
  warn(err: unknown, msg: string): void;
}

/** Polls until a Spot signal appears (resolved with it) or `signal` ends the watch (undefined). */
export async function watchSpot(options: SpotWatchOptions): Promise<SpotSignal | undefined> {
  while (!options.signal.aborted) {
    try {
      const found = await options.read();
      if (found) return found;
    } catch (err) {
      options.warn(err, "could not read the Spot notices from IMDS; trying again");
    }
    await pause(options.pollMs, options.signal);
  }
  return undefined;
}
