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

export const DIMENSION_SETS: Record<string, Record<string, string[][]>> = {
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
};

/** The values each dimension may take: the names of what the program (or the caller) creates. */
export interface KnownResources {
  LoadBalancer: string[];
  TargetGroup: string[];
  AutoScalingGroupName: string[];
  QueueName: string[];
  path: string[];
}

/**
 * Fails unless `m` is published under exactly these dimensions and every value names a known resource.
 * `agentSets` are the CWAgent dimension sets the agent config aggregates to.
 */
export function assertKnownMetric(m: MetricRef, known: KnownResources, agentSets: string[][], where: string): void {
  const dims = Object.keys(m.dimensions).sort();
  const sets = m.namespace === "CWAgent" ? agentSets : DIMENSION_SETS[m.namespace]?.[m.metricName];
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
