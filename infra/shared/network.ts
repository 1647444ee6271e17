import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import type { NatStrategy } from "./config";

/** Retention of the VPC flow logs (days): a month of who-talked-to-whom for an investigation. */
export const FLOW_LOG_RETENTION_DAYS = 30;

export interface NetworkArgs {
  /** Number of availability zones (>= 2: an ALB needs subnets in two). */
  availabilityZones: number;
  natStrategy: NatStrategy;
  cidrBlock?: string;
  /** Name of the flow logs' log group (e.g. /fleet/<stack>/vpc-flow-logs). */
  flowLogGroupName: string;
  /** Region and account of the stack: the flow-log role may be assumed for this account's flow logs only. */
  region: string;
  accountId: pulumi.Input<string>;
  tags?: Record<string, string>;
}

/**
 * The flow-log role's trust policy: the flow logs service, and only on behalf of this account's flow logs in
 * this region (aws:SourceAccount / aws:SourceArn against the confused deputy, as AWS recommends:
 * https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html). The flow log's id is not known
 * before the role exists, hence the `vpc-flow-log/*` pattern the same page suggests.
 */
export function flowLogTrustPolicy(region: string, accountId: string, partition = "aws"): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "vpc-flow-logs.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": accountId },
          ArnLike: { "aws:SourceArn": `arn:${partition}:ec2:${region}:${accountId}:vpc-flow-log/*` },
        },
      },
    ],
  });
}

/**
 * What the flow-log role may do: AWS's documented minimum (same page: logs:CreateLogGroup, CreateLogStream,
 * PutLogEvents, DescribeLogGroups, DescribeLogStreams), narrowed to the one log group where IAM allows it.
 * CreateLogGroup is left out: the program creates the group, and a role that may create groups could
 * recreate a deleted one without its retention. DescribeLogGroups is a List action that lists every group
 * of the account: AWS's minimum grants it on "*".
 */
export function flowLogRolePolicy(logGroupArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [logGroupArn, `${logGroupArn}:*`],
      },
      { Effect: "Allow", Action: ["logs:DescribeLogGroups"], Resource: "*" },
    ],
  });
}

/**
 * The services reached through gateway endpoints: S3 (the bundle, the results, AL2023's package repositories)
 * and DynamoDB (the jobs table). A gateway endpoint adds the service's prefix-list route to the route tables
 * it is given, so that traffic stays on AWS's network instead of crossing the NAT (and its per-GB charge);
 * gateway endpoints have no hourly or data charge, and only S3 and DynamoDB have them
 * (https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html).
 */
export const GATEWAY_ENDPOINT_SERVICES = ["s3", "dynamodb"] as const;

/** `com.amazonaws.<region>.<service>`, the service name of a gateway endpoint. */
export function gatewayEndpointServiceName(region: string, service: (typeof GATEWAY_ENDPOINT_SERVICES)[number]) {
  return `com.amazonaws.${region}.${service}`;
}

/**
 * A VPC with public subnets (the ALB) and private subnets behind NAT (the instances and the image builds),
 * S3 and DynamoDB through gateway endpoints on the private route tables, its flow logs (all traffic, to CloudWatch Logs: AWS FSBP EC2.6), and its default security group
 * stripped of every rule (EC2.2): nothing of ours uses it, so nothing may pass through it.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly publicSubnetIds: pulumi.Output<string[]>;
  readonly privateSubnetIds: pulumi.Output<string[]>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:network:Network", name, {}, opts);
    const vpc = new awsx.ec2.Vpc(
      name,
      {
        cidrBlock: args.cidrBlock ?? "10.0.0.0/16",
        numberOfAvailabilityZones: args.availabilityZones,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        natGateways: { strategy: args.natStrategy },
        subnetStrategy: "Auto",
        subnetSpecs: [
          { type: "Public", cidrMask: 22 },
          { type: "Private", cidrMask: 20 },
        ],
        ...(args.tags ? { tags: args.tags } : {}),
      },
      { parent: this },
    );
    const tags = args.tags ?? {};
    new aws.ec2.DefaultSecurityGroup(
      `${name}-default`,
      // No ingress and no egress: the provider removes the rules AWS puts in every default group.
      { vpcId: vpc.vpcId, ingress: [], egress: [], tags: { ...tags, Name: `${name}-default-locked` } },
      { parent: this },
    );
    const flowLogGroup = new aws.cloudwatch.LogGroup(
      `${name}-flow-logs`,
      { name: args.flowLogGroupName, retentionInDays: FLOW_LOG_RETENTION_DAYS, tags },
      { parent: this },
    );
    const flowLogRole = new aws.iam.Role(
      `${name}-flow-logs`,
      {
        assumeRolePolicy: pulumi.output(args.accountId).apply((account) => flowLogTrustPolicy(args.region, account)),
        tags,
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-flow-logs`,
      {
        role: flowLogRole.id,
        policy: flowLogGroup.arn.apply(flowLogRolePolicy),
      },
      { parent: this },
    );
    new aws.ec2.FlowLog(
      `${name}-flow-logs`,
      {
        vpcId: vpc.vpcId,
        trafficType: "ALL",
        logDestinationType: "cloud-watch-logs",
        logDestination: flowLogGroup.arn,
        iamRoleArn: flowLogRole.arn,
        maxAggregationInterval: 600,
        tags,
      },
      { parent: this },
    );

    // The private subnets' route tables (awsx gives each subnet its own): where the instances and the image
    // builds route from. The public subnets hold only the ALB and the NAT gateways, which call no AWS API.
    const privateRouteTableIds = aws.ec2
      .getRouteTablesOutput(
        { vpcId: vpc.vpcId, filters: [{ name: "association.subnet-id", values: vpc.privateSubnetIds }] },
        { parent: this },
      )
      .apply((t) => [...t.ids].sort());
    for (const service of GATEWAY_ENDPOINT_SERVICES)
      new aws.ec2.VpcEndpoint(
        `${name}-${service}`,
        {
          vpcId: vpc.vpcId,
          serviceName: gatewayEndpointServiceName(args.region, service),
          vpcEndpointType: "Gateway",
          routeTableIds: privateRouteTableIds,
          tags: { ...tags, Name: `${name}-${service}` },
        },
        { parent: this },
      );

    this.vpcId = vpc.vpcId;
    this.publicSubnetIds = vpc.publicSubnetIds;
    this.privateSubnetIds = vpc.privateSubnetIds;
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
    });
  }
}
