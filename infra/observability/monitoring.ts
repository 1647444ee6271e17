/**
 * What the fleet is watched by, as pure data: the alarm specifications and the CloudWatch dashboard body,
 * built from the names of the resources they watch. infra/observability/observability.ts registers them; the tests
 * check that every metric names a resource the program creates, with the dimensions its namespace uses.
 *
 * The jobs inputs are optional: pass the queue, its dead-letter queue and the worker group once the jobs
 * infra exists, and the DLQ alarm, the backlog-per-instance graph and the worker group's graphs appear.
 */
import { OLDEST_MESSAGE_ALARM_S, QUEUE_RETENTION_S } from "../../service/jobs/timing";
import { HEALTH_CHECK_INTERVAL_S, LONGEST_REQUEST_MS } from "../../service/timing";
import { AGENT_METRICS, AGENT_NAMESPACE } from "./agentConfig";

export interface JobsResources<S = string> {
  queueName: S;
  dlqName: S;
  workerAsgName: S;
  /** Namespace of the failed-attempts metric the instances' log group yields (jobsFailedMetric); absent: no alarm. */
  failedJobsNamespace?: string;
}

/**
 * Failed job attempts, counted from the workers' journals by a metric filter on the instances' log group:
 * every `job failed` line (service/jobs/worker.ts JOB_LOG: a final failure, or "job failed; will retry").
 * A space-separated term pattern matches the words wherever the agent puts the message in the event.
 */
export const JOBS_FAILED_METRIC = { name: "JobAttemptsFailed", pattern: '"job failed"' } as const;
export function jobsFailedNamespace(stack: string): string {
  return `fleet/${stack}`;
}
/**
 * Failed attempts per minute that, sustained, mean the workers are broken rather than some jobs bad: a
 * worker image that cannot run jobs fails every one it takes, minute after minute.
 */
export const JOBS_FAILED_PER_MINUTE = 3;
export const JOBS_FAILED_MINUTES = 5;

/** The names the metrics' dimensions carry (Outputs in the program, strings in tests). */
export interface MonitoredResources<S = string> {
  region: string;
  /** `app/<name>/<id>`: the ALB's LoadBalancer dimension. */
  albArnSuffix: S;
  /** `targetgroup/<name>/<id>`: the TargetGroup dimension. */
  targetGroupArnSuffix: S;
  asgName: S;
  jobs?: JobsResources<S>;
  /** The release state machine's ARN: its failed-release alarm and the dashboard's releases widget. */
  releaseStateMachineArn?: S;
}

/**
 * The alarms that gate a release of each group (its refresh's AlarmSpecification, at most 10): an ALARM
 * during the canary's bake or the final bake makes AWS fail the refresh and roll it back.
 */
export const RELEASE_GATES = {
  web: ["alb-5xx-rate", "target-5xx-rate", "unhealthy-hosts", "p99-latency"],
  worker: ["jobs-dlq", "jobs-failed"],
} as const;

// --- Thresholds: each with the reason for its value.
/** Minutes per evaluation period: ALB and Auto Scaling group metrics are published per minute. */
export const PERIOD_S = 60;
/** A 5xx share above this, sustained, is an incident, not noise (a single bad deploy shows well above). */
export const ERROR_RATE_ALARM_PERCENT = 5;
/** Consecutive minutes of the 5xx rate before alarming: rides out one slow restart. */
export const ERROR_RATE_MINUTES = 5;
/**
 * Minutes a target may stay unhealthy before alarming: longer than the unhealthy-threshold window
 * (2 × 10 s) plus the ASG's replacement of an ELB-unhealthy instance, so a replaced instance is not paged.
 */
export const UNHEALTHY_HOST_MINUTES = 5;
/**
 * p99 of the targets' response time that means the fleet is saturated or an instance is sick. Far below
 * the longest request the service allows (LONGEST_REQUEST_MS), far above a healthy /api answer.
 */
export const P99_LATENCY_ALARM_S = 2;
/** Consecutive minutes of p99 above the threshold. */
export const P99_LATENCY_MINUTES = 10;
/** Minutes the group may sit at its max size before alarming: scaling has nothing left to add. */
export const AT_MAX_SIZE_MINUTES = 15;
/** Minutes the oldest queued job may stay older than OLDEST_MESSAGE_ALARM_S before alarming. */
export const OLDEST_MESSAGE_MINUTES = 5;

/** One metric a query reads. Dimensions are the exact set CloudWatch stores the metric under. */
export interface MetricRef<S = string> {
  namespace: string;
  metricName: string;
  dimensions: Record<string, S>;
  stat: string;
}

export interface AlarmQuery<S = string> {
  id: string;
  metric?: MetricRef<S>;
  expression?: string;
  label?: string;
  returnData: boolean;
}

export interface AlarmSpec<S = string> {
  /** Stable key: the alarm's resource name suffix. */
  key: string;
  description: string;
  comparisonOperator: "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold";
  threshold: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  /** `notBreaching` where no data means no traffic or no messages, which is fine. */
  treatMissingData: "notBreaching" | "breaching" | "missing";
  queries: AlarmQuery<S>[];
}

const ALB = "AWS/ApplicationELB";
const ASG = "AWS/AutoScaling";

function metric<S>(namespace: string, metricName: string, dimensions: Record<string, S>, stat: string) {
  return { namespace, metricName, dimensions, stat };
}

/** `100 * errors / requests` per minute, 0 without requests (a quiet night is not an error rate). */
function errorRate<S>(r: MonitoredResources<S>, key: string, errors: MetricRef<S>, what: string): AlarmSpec<S> {
  return {
    key,
    description: `${what} above ${ERROR_RATE_ALARM_PERCENT} % of requests for ${ERROR_RATE_MINUTES} minutes`,
    comparisonOperator: "GreaterThanThreshold",
    threshold: ERROR_RATE_ALARM_PERCENT,
    evaluationPeriods: ERROR_RATE_MINUTES,
    datapointsToAlarm: ERROR_RATE_MINUTES,
    treatMissingData: "notBreaching",
    queries: [
      { id: "errors", metric: errors, returnData: false },
      {
        id: "requests",
        metric: metric(ALB, "RequestCount", { LoadBalancer: r.albArnSuffix }, "Sum"),
        returnData: false,
      },
      {
        id: "rate",
        expression: "IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)",
        label: `${what} (% of requests)`,
        returnData: true,
      },
    ],
  };
}

export function alarmSpecs<S>(r: MonitoredResources<S>): AlarmSpec<S>[] {
  const lb = { LoadBalancer: r.albArnSuffix };
  const tg = { TargetGroup: r.targetGroupArnSuffix, LoadBalancer: r.albArnSuffix };
  const group = { AutoScalingGroupName: r.asgName };
  const specs: AlarmSpec<S>[] = [
    errorRate(r, "alb-5xx-rate", metric(ALB, "HTTPCode_ELB_5XX_Count", lb, "Sum"), "ALB 5xx (no healthy target, 502s)"),
    errorRate(
      r,
      "target-5xx-rate",
      metric(ALB, "HTTPCode_Target_5XX_Count", lb, "Sum"),
      "Target 5xx (the service's errors and 503s)",
    ),
    {
      key: "unhealthy-hosts",
      description: `An unhealthy target for ${UNHEALTHY_HOST_MINUTES} minutes (health check ${HEALTH_CHECK_INTERVAL_S} s)`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: UNHEALTHY_HOST_MINUTES,
      datapointsToAlarm: UNHEALTHY_HOST_MINUTES,
      treatMissingData: "notBreaching",
      queries: [{ id: "unhealthy", metric: metric(ALB, "UnHealthyHostCount", tg, "Maximum"), returnData: true }],
    },
    {
      key: "p99-latency",
      description: `p99 target response time above ${P99_LATENCY_ALARM_S} s for ${P99_LATENCY_MINUTES} minutes (longest allowed request: ${LONGEST_REQUEST_MS / 1000} s)`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: P99_LATENCY_ALARM_S,
      evaluationPeriods: P99_LATENCY_MINUTES,
      datapointsToAlarm: P99_LATENCY_MINUTES,
      treatMissingData: "notBreaching",
      queries: [{ id: "p99", metric: metric(ALB, "TargetResponseTime", lb, "p99"), returnData: true }],
    },
    {
      key: "at-max-size",
      description: `The group has wanted its max size for ${AT_MAX_SIZE_MINUTES} minutes: scaling has nothing left to add`,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      evaluationPeriods: AT_MAX_SIZE_MINUTES,
      datapointsToAlarm: AT_MAX_SIZE_MINUTES,
      treatMissingData: "notBreaching",
      queries: [
        { id: "desired", metric: metric(ASG, "GroupDesiredCapacity", group, "Maximum"), returnData: false },
        { id: "max", metric: metric(ASG, "GroupMaxSize", group, "Maximum"), returnData: false },
        { id: "atmax", expression: "IF(desired >= max, 1, 0)", label: "desired at max", returnData: true },
      ],
    },
  ];
  if (r.jobs) {
    specs.push({
      key: "jobs-dlq",
      description:
        "Jobs failed every attempt (list them with the jobs CLI, fix, redrive), or the DLQ holds messages the workers have not reconciled",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      // SQS stops publishing an idle queue's metrics after six hours: no data means no dead letters.
      treatMissingData: "notBreaching",
      // The DLQ is not storage (the failed jobs live in the table): a worker sends a failed job's id there as
      // a signal and deletes it within seconds, so the alarm counts the sends (NumberOfMessagesSent counts
      // messages sent to a queue by a client, not those SQS's redrive moves:
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html),
      // plus what sits visible there, which means reconciliation has stopped.
      queries: [
        {
          id: "sent",
          metric: metric("AWS/SQS", "NumberOfMessagesSent", { QueueName: r.jobs.dlqName }, "Sum"),
          returnData: false,
        },
        {
          id: "visible",
          metric: metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: r.jobs.dlqName }, "Maximum"),
          returnData: false,
        },
        { id: "dead", expression: "FILL(sent, 0) + FILL(visible, 0)", label: "failed jobs", returnData: true },
      ],
    });
    specs.push(...jobsQueueAlarms(r.jobs));
  }
  if (r.jobs?.failedJobsNamespace !== undefined) {
    specs.push({
      key: "jobs-failed",
      description: `More than ${JOBS_FAILED_PER_MINUTE} failed job attempts a minute for ${JOBS_FAILED_MINUTES} minutes: the workers fail the jobs they take`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: JOBS_FAILED_PER_MINUTE,
      evaluationPeriods: JOBS_FAILED_MINUTES,
      datapointsToAlarm: JOBS_FAILED_MINUTES,
      // The filter publishes 0 when no line matches; no data at all (no log events) is no failure.
      treatMissingData: "notBreaching",
      queries: [
        {
          id: "failed",
          metric: metric(r.jobs.failedJobsNamespace, JOBS_FAILED_METRIC.name, {}, "Sum"),
          returnData: true,
        },
      ],
    });
  }
  if (r.releaseStateMachineArn !== undefined) specs.push(releaseFailedAlarm(r.releaseStateMachineArn));
  return specs;
}

const STATES = "AWS/States";

/**
 * A release that failed as an execution (a broken definition, a missing permission, a topic it could not
 * publish to) or ran past its timeout: the one case where the release itself cannot tell the topic.
 * Rolled-back and failed nights end the execution normally and publish their own message.
 */
function releaseFailedAlarm<S>(stateMachineArn: S): AlarmSpec<S> {
  const sm = { StateMachineArn: stateMachineArn };
  return {
    key: "release-failed",
    description:
      "A release execution failed, timed out or was aborted: its outcome reached no one (Step Functions console)",
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    threshold: 1,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    // No executions in a minute is the normal case.
    treatMissingData: "notBreaching",
    queries: [
      { id: "failed", metric: metric(STATES, "ExecutionsFailed", sm, "Sum"), returnData: false },
      { id: "timedout", metric: metric(STATES, "ExecutionsTimedOut", sm, "Sum"), returnData: false },
      { id: "aborted", metric: metric(STATES, "ExecutionsAborted", sm, "Sum"), returnData: false },
      {
        id: "broken",
        expression: "FILL(failed, 0) + FILL(timedout, 0) + FILL(aborted, 0)",
        label: "release executions failed, timed out or aborted",
        returnData: true,
      },
    ],
  };
}

/**
 * The queue's corners: its oldest job waiting far longer than a job should (a stuck backlog, alarmed a
 * day before the sweeper re-sends and days before SQS's retention would drop it), and the worker group at
 * its max size with a backlog (scaling has nothing left to add while jobs wait).
 */
function jobsQueueAlarms<S>(jobs: JobsResources<S>): AlarmSpec<S>[] {
  const queue = { QueueName: jobs.queueName };
  const workers = { AutoScalingGroupName: jobs.workerAsgName };
  return [
    {
      key: "jobs-oldest-message",
      description: `The oldest queued job is over ${OLDEST_MESSAGE_ALARM_S / 3600} h old (SQS keeps it ${QUEUE_RETENTION_S / 86_400} days; the workers re-send before that)`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: OLDEST_MESSAGE_ALARM_S,
      evaluationPeriods: OLDEST_MESSAGE_MINUTES,
      datapointsToAlarm: OLDEST_MESSAGE_MINUTES,
      treatMissingData: "notBreaching",
      queries: [
        {
          id: "age",
          metric: metric("AWS/SQS", "ApproximateAgeOfOldestMessage", queue, "Maximum"),
          returnData: true,
        },
      ],
    },
    {
      key: "workers-at-max-with-backlog",
      description: `The worker group has been at its max size with jobs waiting for ${AT_MAX_SIZE_MINUTES} minutes: raise fleet:workerMaxSize or expect waits`,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      evaluationPeriods: AT_MAX_SIZE_MINUTES,
      datapointsToAlarm: AT_MAX_SIZE_MINUTES,
      treatMissingData: "notBreaching",
      queries: [
        { id: "inservice", metric: metric(ASG, "GroupInServiceInstances", workers, "Maximum"), returnData: false },
        { id: "max", metric: metric(ASG, "GroupMaxSize", workers, "Maximum"), returnData: false },
        {
          id: "waiting",
          metric: metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", queue, "Maximum"),
          returnData: false,
        },
        {
          id: "saturated",
          expression: "IF(inservice >= max AND FILL(waiting, 0) > 0, 1, 0)",
          label: "at max size with a backlog",
          returnData: true,
        },
      ],
    },
  ];
}

/** A dashboard metric row: [namespace, name, dim, value, ..., options]. */
type MetricRow = (string | Record<string, unknown>)[];

function row(m: MetricRef, options: Record<string, unknown> = {}): MetricRow {
  return [
    m.namespace,
    m.metricName,
    ...Object.entries(m.dimensions).flatMap(([k, v]) => [k, v]),
    { stat: m.stat, ...options },
  ];
}

function widget(title: string, metrics: MetricRow[], region: string, x: number, y: number, extra = {}) {
  return {
    type: "metric",
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region, view: "timeSeries", stacked: false, period: PERIOD_S, metrics, ...extra },
  };
}

/** The CloudWatch dashboard: traffic, latency, errors, health, capacity, CPU, memory, and the jobs. */
export function dashboardBody(r: MonitoredResources): string {
  const lb = { LoadBalancer: r.albArnSuffix };
  const tg = { TargetGroup: r.targetGroupArnSuffix, LoadBalancer: r.albArnSuffix };
  const group = { AutoScalingGroupName: r.asgName };
  const w: ReturnType<typeof widget>[] = [
    widget("Requests", [row(metric(ALB, "RequestCount", lb, "Sum"), { label: "requests / min" })], r.region, 0, 0),
    widget(
      "Latency (target response time)",
      [
        row(metric(ALB, "TargetResponseTime", lb, "p50"), { label: "p50" }),
        row(metric(ALB, "TargetResponseTime", lb, "p99"), { label: "p99" }),
      ],
      r.region,
      12,
      0,
      { yAxis: { left: { label: "seconds", showUnits: false } } },
    ),
    widget(
      "4xx / 5xx",
      [
        row(metric(ALB, "HTTPCode_Target_4XX_Count", lb, "Sum"), { label: "target 4xx" }),
        row(metric(ALB, "HTTPCode_Target_5XX_Count", lb, "Sum"), { label: "target 5xx" }),
        row(metric(ALB, "HTTPCode_ELB_5XX_Count", lb, "Sum"), { label: "ALB 5xx" }),
      ],
      r.region,
      0,
      6,
    ),
    widget(
      "Targets",
      [
        row(metric(ALB, "HealthyHostCount", tg, "Minimum"), { label: "healthy" }),
        row(metric(ALB, "UnHealthyHostCount", tg, "Maximum"), { label: "unhealthy" }),
      ],
      r.region,
      12,
      6,
    ),
    widget(
      "Web group",
      [
        row(metric(ASG, "GroupDesiredCapacity", group, "Maximum"), { label: "desired" }),
        row(metric(ASG, "GroupInServiceInstances", group, "Maximum"), { label: "in service" }),
        row(metric(ASG, "GroupMaxSize", group, "Maximum"), { label: "max" }),
      ],
      r.region,
      0,
      12,
    ),
    widget(
      "CPU and memory",
      [
        row(metric("AWS/EC2", "CPUUtilization", group, "Average"), { label: "CPU %" }),
        row(metric(AGENT_NAMESPACE, AGENT_METRICS.memory.name, group, "Average"), { label: "memory %" }),
        row(metric(AGENT_NAMESPACE, AGENT_METRICS.disk.name, { ...group, path: "/" }, "Maximum"), {
          label: "root disk %",
        }),
      ],
      r.region,
      12,
      12,
      { yAxis: { left: { min: 0, max: 100 } } },
    ),
  ];
  if (r.jobs) {
    const workers = { AutoScalingGroupName: r.jobs.workerAsgName };
    w.push(
      widget(
        "Jobs: backlog per worker instance",
        [
          [{ expression: "visible / FILL(inservice, 1)", label: "backlog per instance", id: "perinstance" }],
          row(metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: r.jobs.queueName }, "Maximum"), {
            id: "visible",
            visible: false,
          }),
          row(metric(ASG, "GroupInServiceInstances", workers, "Maximum"), { id: "inservice", visible: false }),
        ],
        r.region,
        0,
        18,
      ),
      widget(
        "Jobs: queue and dead letters",
        [
          row(metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: r.jobs.queueName }, "Maximum"), {
            label: "waiting",
          }),
          row(metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: r.jobs.dlqName }, "Maximum"), {
            label: "dead letters",
          }),
          row(metric(ASG, "GroupInServiceInstances", workers, "Maximum"), { label: "workers in service" }),
        ],
        r.region,
        12,
        18,
      ),
    );
  }
  if (r.releaseStateMachineArn !== undefined) {
    const sm = { StateMachineArn: r.releaseStateMachineArn };
    w.push(
      widget(
        "Releases (executions of the release state machine)",
        [
          row(metric(STATES, "ExecutionsSucceeded", sm, "Sum"), { label: "ran to an outcome" }),
          row(metric(STATES, "ExecutionsFailed", sm, "Sum"), { label: "failed" }),
          row(metric(STATES, "ExecutionsTimedOut", sm, "Sum"), { label: "timed out" }),
        ],
        r.region,
        0,
        24,
        { view: "bar", period: 3600 },
      ),
    );
  }
  return JSON.stringify({ widgets: w });
}

/**
 * The metrics of a dashboard body as {namespace, metricName, dimensions}: what the tests check against
 * the resources the program creates. Expression rows have no metric and are skipped.
 */
export function dashboardMetrics(body: string): MetricRef[] {
  const parsed = JSON.parse(body) as { widgets: Array<{ properties: { metrics?: MetricRow[] } }> };
  const out: MetricRef[] = [];
  for (const wd of parsed.widgets)
    for (const m of wd.properties.metrics ?? []) {
      if (typeof m[0] !== "string") continue;
      const last = m[m.length - 1];
      const opts = typeof last === "object" ? (last as { stat?: string }) : {};
      const parts = (typeof last === "object" ? m.slice(0, -1) : m) as string[];
      const dimensions: Record<string, string> = {};
      for (let i = 2; i + 1 < parts.length; i += 2) dimensions[parts[i]!] = parts[i + 1]!;
      out.push({ namespace: parts[0]!, metricName: parts[1]!, dimensions, stat: opts.stat ?? "Average" });
    }
  return out;
}
