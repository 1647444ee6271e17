/**
 * The dimension sets CloudWatch publishes each metric the fleet reads under (AWS docs: "CloudWatch metrics
 * for your Application Load Balancer", "Auto Scaling group metrics", "Amazon SQS metrics", EC2 metrics by
 * Auto Scaling group), and a check that a metric reference names one of them with values of resources
 * the program creates. A metric with a dimension set CloudWatch does not publish is a graph with no data
 * and an alarm that never fires.
 */
import * as assert from "node:assert/strict";
import type { MetricRef } from "../../infra/observability/monitoring";

const LB = ["LoadBalancer"];
const LB_TG = ["LoadBalancer", "TargetGroup"];
const ASG = ["AutoScalingGroupName"];

/** The program's own metrics (log metric filters) live in `fleet/<stack>`. */
export const FLEET_NAMESPACE = /^fleet\/[A-Za-z0-9_.-]+$/;

export const DIMENSION_SETS: Record<string, Record<string, string[][]>> = {
  // infra/observability/observability.ts InstanceLogs: failed job attempts from the journals, no dimensions.
  "fleet/<stack>": { JobAttemptsFailed: [[]] },
  "AWS/ApplicationELB": {
    RequestCount: [LB, LB_TG],
    HTTPCode_ELB_5XX_Count: [LB],
    HTTPCode_Target_4XX_Count: [LB, LB_TG],
    HTTPCode_Target_5XX_Count: [LB, LB_TG],
    TargetResponseTime: [LB, LB_TG],
    HealthyHostCount: [LB_TG],
    UnHealthyHostCount: [LB_TG],
  },
  "AWS/AutoScaling": {
    GroupDesiredCapacity: [ASG],
    GroupInServiceInstances: [ASG],
    GroupMaxSize: [ASG],
  },
  "AWS/EC2": { CPUUtilization: [ASG] },
  "AWS/SQS": {
    ApproximateNumberOfMessagesVisible: [["QueueName"]],
    ApproximateNumberOfMessagesNotVisible: [["QueueName"]],
    ApproximateAgeOfOldestMessage: [["QueueName"]],
    NumberOfMessagesSent: [["QueueName"]],
  },
  // Execution metrics per state machine (Step Functions developer guide, "Monitoring Step Functions metrics
  // using Amazon CloudWatch": https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html).
  "AWS/States": {
    ExecutionsSucceeded: [["StateMachineArn"]],
    ExecutionsFailed: [["StateMachineArn"]],
    ExecutionsTimedOut: [["StateMachineArn"]],
    ExecutionsAborted: [["StateMachineArn"]],
  },
};

/** The values each dimension may take: the names of what the program (or the caller) creates. */
export interface KnownResources {
  LoadBalancer: string[];
  TargetGroup: string[];
  AutoScalingGroupName: string[];
  QueueName: string[];
  StateMachineArn: string[];
  path: string[];
}

/**
 * Fails unless `m` is published under exactly these dimensions and every value names a known resource.
 * `agentSets` are the CWAgent dimension sets the agent config aggregates to.
 */
export function assertKnownMetric(m: MetricRef, known: KnownResources, agentSets: string[][], where: string): void {
  const dims = Object.keys(m.dimensions).sort();
  const namespace = FLEET_NAMESPACE.test(m.namespace) ? "fleet/<stack>" : m.namespace;
  const sets = m.namespace === "CWAgent" ? agentSets : DIMENSION_SETS[namespace]?.[m.metricName];
  assert.ok(sets, `${where}: ${m.namespace} ${m.metricName} is not a metric the fleet is known to publish`);
  assert.ok(
    sets.some((s) => [...s].sort().join() === dims.join()),
    `${where}: ${m.namespace} ${m.metricName} is not published under dimensions [${dims.join(", ")}]`,
  );
  for (const [k, v] of Object.entries(m.dimensions)) {
    const values = known[k as keyof KnownResources];
    assert.ok(values?.includes(v as string), `${where}: ${k}=${String(v)} names no resource the program creates`);
  }
}
