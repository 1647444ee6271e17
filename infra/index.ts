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

const network = new Network("fleet", {
  availabilityZones: config.availabilityZones,
  natStrategy: config.natStrategy,
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
  tags,
});

const lb = new LoadBalancer("fleet", {
  vpcId: network.vpcId,
  publicSubnetIds: network.publicSubnetIds,
  idleTimeoutSeconds: config.albIdleTimeoutSeconds,
  deletionProtection: config.deletionProtection,
  ...(config.certificateArn !== undefined ? { certificateArn: config.certificateArn } : {}),
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
  // The first image writes the AMI parameter the launch template resolves.
  dependsOn: [image.image],
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
  accountId: aws.getCallerIdentityOutput().accountId,
  tags,
  asgName: fleet.asgName,
  drainCron: config.drainCron,
  restoreCron: config.restoreCron,
  timeZone: config.timeZone,
  minSize: config.minSize,
  desiredCapacity: config.desiredCapacity,
});

export const url = lb.url;
export const albDnsName = lb.dnsName;
export const asgName = fleet.asgName;
export const targetGroupArn = lb.targetGroupArn;
export const amiParameterName = image.amiParameterName;
export const imagePipelineArn = image.pipelineArn;
export const stack = stackName;
