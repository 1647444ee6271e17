/**
 * What every instance of a fleet (web and worker) may do besides its job: be reached through SSM Session
 * Manager (no SSH), and run the CloudWatch agent for the stack's log group and metric namespace. A pure
 * policy document over plain names (tested without Pulumi), in place of the AWS managed policies
 * AmazonSSMManagedInstanceCore (which reads every SSM parameter and document of the account) and
 * CloudWatchAgentServerPolicy (which writes any log group and creates groups).
 *
 * Left out on purpose, each with what it costs:
 * - ec2messages:* and ssm:*Association*, GetDocument, ListInstanceAssociations: Run Command, State Manager
 *   and patching, which nothing of ours uses (the image is rebuilt nightly instead of patched in place).
 *   Session Manager needs only the ssmmessages channels and UpdateInstanceInformation ("Step 2: Verify or add
 *   instance permissions for Session Manager",
 *   https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-getting-started-instance-profile.html).
 * - ssm:GetParameter: no instance reads a parameter (its user data carries every name it needs; the agent's
 *   configuration is baked into the image, infra/observability/agentConfig.ts).
 * - logs:CreateLogGroup / PutRetentionPolicy: the program creates the group with its retention.
 */
import type { PolicyDocument, Statement } from "../jobs/jobsAccess";

export interface InstanceAccess {
  region: string;
  accountId: string;
  /** The group the agent ships the journal to (agentConfig.ts instanceLogGroupName). */
  logGroupName: string;
  /** The namespace of the agent's metrics (agentConfig.ts AGENT_NAMESPACE). */
  metricsNamespace: string;
  partition?: string;
}

/** `arn:aws:logs:<region>:<account>:log-group:<name>`, the ARN form IAM matches for a log group. */
export function logGroupArn(a: Pick<InstanceAccess, "region" | "accountId" | "logGroupName" | "partition">): string {
  return `arn:${a.partition ?? "aws"}:logs:${a.region}:${a.accountId}:log-group:${a.logGroupName}`;
}

export function instanceBasePolicy(a: InstanceAccess): PolicyDocument {
  const group = logGroupArn(a);
  const statements: Statement[] = [
    {
      Sid: "SessionManagerChannels",
      Effect: "Allow",
      // The channels of a Session Manager session. The ssmmessages actions have no resource type
      // (Service Authorization Reference, "Actions defined by Amazon Message Gateway Service",
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonmessagegatewayservice.html),
      // so "*" is the narrowest AWS allows.
      Action: [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
      ],
      Resource: ["*"],
    },
    {
      Sid: "RegisterWithSystemsManager",
      Effect: "Allow",
      // The agent's heartbeat that makes the instance a managed node (Session Manager's target). AWS's own
      // minimal Session Manager policy (the page above) grants it on "*"; the instance calls it for itself.
      Action: ["ssm:UpdateInstanceInformation"],
      Resource: ["*"],
    },
    {
      Sid: "AgentLogsToTheStackGroup",
      Effect: "Allow",
      // The CloudWatch agent's calls for a group that exists: one stream per instance and unit.
      Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      Resource: [group, `${group}:log-stream:*`],
    },
    {
      Sid: "AgentMetricsToItsNamespace",
      Effect: "Allow",
      // PutMetricData has no resource type: the namespace condition is how AWS narrows it
      // ("Using condition keys to limit access to CloudWatch namespaces",
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html).
      Action: ["cloudwatch:PutMetricData"],
      Resource: ["*"],
      Condition: { StringEquals: { "cloudwatch:namespace": a.metricsNamespace } },
    },
    {
      Sid: "AgentReadsTheGroupTag",
      Effect: "Allow",
      // The agent reads the instance's aws:autoscaling:groupName tag for the AutoScalingGroupName dimension
      // (the instance metadata tags are off); Describe* actions take no resource.
      Action: ["ec2:DescribeTags"],
      Resource: ["*"],
    },
  ];
  return { Version: "2012-10-17", Statement: statements };
}
