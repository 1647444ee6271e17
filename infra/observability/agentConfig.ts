/**
 * The CloudWatch agent's configuration on every instance: the journald logs of the listed systemd units
 * to the stack's log group (one stream per instance and unit), and memory and root-disk use as metrics
 * per Auto Scaling group. Pure data, baked into the image by the component; the units are a parameter so
 * a worker image (`fleet-worker`) ships its own journal too.
 *
 * journald is read natively (`logs.logs_collected.journald`, amazon-cloudwatch-agent PR #2121, 2026):
 * AL2023 has no rsyslog, so there is no /var/log/messages to tail. The image's build phase checks the
 * installed agent's version against MIN_AGENT_VERSION (an older agent would run and ship no journal at
 * all) and then translates this file with it.
 */

/**
 * The first agent release with the journald logs input (its release notes,
 * https://github.com/aws/amazon-cloudwatch-agent/blob/main/RELEASE_NOTES, and
 * https://github.com/aws/amazon-cloudwatch-agent/pull/2121). The image build fails below it.
 */
export const MIN_AGENT_VERSION = "1.300070.0";

/** Namespace of the agent's metrics (the agent's own default, kept explicit for the dashboard). */
export const AGENT_NAMESPACE = "CWAgent";

/** The stack's instance log group; the component and the program name it the same way. */
export function instanceLogGroupName(stack: string): string {
  return `/fleet/${stack}/instances`;
}

export interface AgentConfigOptions {
  logGroupName: string;
  /** systemd units whose journal goes to the log group, e.g. ["fleet.service"]. */
  units: readonly string[];
}

/** The metrics the agent publishes, each with the dimensions the dashboard and the alarms use. */
export const AGENT_METRICS = {
  memory: { name: "mem_used_percent", dimensions: ["AutoScalingGroupName"] },
  disk: { name: "disk_used_percent", dimensions: ["AutoScalingGroupName", "path"] },
} as const;

export function cloudWatchAgentConfig(opts: AgentConfigOptions): Record<string, unknown> {
  if (opts.units.length === 0) throw new Error("cloudWatchAgentConfig: no units to collect");
  for (const unit of opts.units)
    if (!/^[A-Za-z0-9@_.-]+\.service$/.test(unit))
      throw new Error(`cloudWatchAgentConfig: "${unit}" is not a systemd service unit name (e.g. fleet.service)`);
  return {
    agent: { metrics_collection_interval: 60, run_as_user: "root" },
    logs: {
      logs_collected: {
        journald: {
          collect_list: opts.units.map((unit) => ({
            units: [unit],
            priority: "info",
            log_group_name: opts.logGroupName,
            log_stream_name: `{instance_id}/${unit.replace(/\.service$/, "")}`,
          })),
        },
      },
    },
    metrics: {
      namespace: AGENT_NAMESPACE,
      append_dimensions: { AutoScalingGroupName: "${aws:AutoScalingGroupName}", InstanceId: "${aws:InstanceId}" },
      // Per group as well as per instance: instances come and go nightly, the group stays.
      aggregation_dimensions: [["AutoScalingGroupName"], ["AutoScalingGroupName", "path"]],
      metrics_collected: {
        mem: { measurement: ["used_percent"] },
        disk: { measurement: ["used_percent"], resources: ["/"], drop_device: true },
      },
    },
  };
}
