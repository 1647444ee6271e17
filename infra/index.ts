/**
 * The fleet's Pulumi program: reads the stack's config and wires the components, nothing more.
 * Stack outputs are the frontend's contract (README, "Stack outputs: the frontend's contract").
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { parseFleetConfig } from "./config";
import { Network } from "./network";
import { Image } from "./image";
import { LoadBalancer } from "./loadBalancer";
import { Fleet } from "./fleet";
import { Scaling } from "./scaling";
import { Night } from "./night";
import { instanceLogGroupName } from "./agentConfig";
import { AccessLogs, ACCESS_LOG_PREFIX } from "./accessLogs";
import { InstanceLogs, Observability } from "./observability";

const fleetConfig = new pulumi.Config("fleet");
// Every `fleet:` key the stack sets (allConfig() keys are "<namespace>:<key>"), so a mistyped one is an error.
const setFleetKeys = Object.keys(pulumi.runtime.allConfig())
  .filter((k) => k.startsWith("fleet:"))
  .map((k) => k.slice("fleet:".length));
// Validates everything first: a bad value throws one error naming `fleet:<key>` before any resource exists.
const config = parseFleetConfig((key) => fleetConfig.get(key), new Date(), setFleetKeys);
const region = new pulumi.Config("aws").require("region");
const stackName = pulumi.getStack();
const tags = { project: "fleet", stack: stackName };
const accountId = aws.getCallerIdentityOutput().accountId;

const network = new Network("fleet", {
  availabilityZones: config.availabilityZones,
  natStrategy: config.natStrategy,
  flowLogGroupName: `/fleet/${stackName}/vpc-flow-logs`,
  tags,
});

const logs = new InstanceLogs("fleet", {
  logGroupName: instanceLogGroupName(stackName),
  retentionDays: config.logRetentionDays,
  tags,
});

const image = new Image("fleet", {
  stack: stackName,
  region,
  architecture: config.architecture,
  instanceType: config.instanceType,
  pipelineCron: config.pipelineCron,
  timeZone: config.timeZone,
  vpcId: network.vpcId,
  subnetId: network.privateSubnetIds.apply((ids) => ids[0]!),
  rootDir: path.resolve(__dirname, ".."),
  logGroupName: instanceLogGroupName(stackName),
  tags,
});

const accessLogs = new AccessLogs("fleet", { region, accountId, tags });

const lb = new LoadBalancer("fleet", {
  vpcId: network.vpcId,
  publicSubnetIds: network.publicSubnetIds,
  idleTimeoutSeconds: config.albIdleTimeoutSeconds,
  deletionProtection: config.deletionProtection,
  ...(config.certificateArn !== undefined
    ? { certificateArn: config.certificateArn }
    : {
        plainHttpReason: config.allowPlainHttp
          ? "fleet:allowPlainHttp is true"
          : "no deletion protection: a development stack",
      }),
  accessLogs: { bucket: accessLogs.bucketName, prefix: ACCESS_LOG_PREFIX, dependsOn: accessLogs.ready },
  tags,
});

const fleet = new Fleet("fleet", {
  stack: stackName,
  vpcId: network.vpcId,
  privateSubnetIds: network.privateSubnetIds,
  instanceType: config.instanceType,
  minSize: config.minSize,
  desiredCapacity: config.desiredCapacity,
  maxSize: config.maxSize,
  amiParameterName: image.amiParameterName,
  albSecurityGroupId: lb.securityGroupId,
  targetGroupArn: lb.targetGroupArn,
  // The first image writes the AMI parameter the launch template resolves; the agent needs its log group.
  dependsOn: [image.image, logs.logGroup],
  tags,
});

new Scaling("fleet", {
  asgName: fleet.asgName,
  cpuTargetPercent: config.cpuTargetPercent,
  ...(config.requestsPerTargetPerMinute !== undefined
    ? { requestsPerTargetPerMinute: config.requestsPerTargetPerMinute }
    : {}),
  albArnSuffix: lb.albArnSuffix,
  targetGroupArnSuffix: lb.targetGroupArnSuffix,
  listener: lb.forwardingListener,
});

new Night("fleet", {
  mode: config.nightly,
  region,
  accountId,
  tags,
  asgName: fleet.asgName,
  drainCron: config.drainCron,
  restoreCron: config.restoreCron,
  timeZone: config.timeZone,
  minSize: config.minSize,
  desiredCapacity: config.desiredCapacity,
});

const observability = new Observability("fleet", {
  stack: stackName,
  region,
  accountId,
  albArnSuffix: lb.albArnSuffix,
  targetGroupArnSuffix: lb.targetGroupArnSuffix,
  asgName: fleet.asgName,
  ...(config.alarmEmail !== undefined ? { alarmEmail: config.alarmEmail } : {}),
  tags,
});

export const url = lb.url;
export const albDnsName = lb.dnsName;
export const asgName = fleet.asgName;
export const targetGroupArn = lb.targetGroupArn;
export const amiParameterName = image.amiParameterName;
export const imagePipelineArn = image.pipelineArn;
export const alarmTopicArn = observability.alarmTopicArn;
export const dashboardName = observability.dashboardName;
export const stack = stackName;
