/**
 * Instances and their group: AWS FSBP AutoScaling.1/2/9 and EC2.8, encrypted volumes, no key pairs, and the
 * project's own rules (instance refresh percentages AWS accepts; scheduled actions that leave max alone).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { UNCHANGED } from "../../infra/night/night";
import { forType, list } from "../util";

const GROUP = "aws:autoscaling/group:Group";
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";

export const autoscalingElbHealthCheck: ResourceValidationPolicy = {
  name: "autoscaling-elb-health-check",
  description: "AutoScaling.1: a group behind a load balancer uses the load balancer's health checks.",
  validateResource: forType("autoscaling-elb-health-check", GROUP, (p, _a, report) => {
    const behindLb = list(p.targetGroupArns).length > 0 || list(p.loadBalancers).length > 0;
    if (behindLb && p.healthCheckType !== "ELB")
      report(
        `healthCheckType is ${JSON.stringify(p.healthCheckType ?? "EC2")}: set "ELB" so an instance the ALB finds unhealthy is replaced`,
      );
  }),
};

export const autoscalingMultiAz: ResourceValidationPolicy = {
  name: "autoscaling-multi-az",
  description: "AutoScaling.2: a group spans at least two availability zones (subnets).",
  validateResource: forType("autoscaling-multi-az", GROUP, (p, _a, report) => {
    const subnets = list(p.vpcZoneIdentifiers);
    const zones = list(p.availabilityZones);
    if (subnets.length < 2 && zones.length < 2)
      report(
        `the group has ${Math.max(subnets.length, zones.length)} subnet(s)/zone(s): give it subnets in two zones or more`,
      );
  }),
};

export const autoscalingLaunchTemplate: ResourceValidationPolicy = {
  name: "autoscaling-launch-template",
  description: "AutoScaling.9: a group launches from a launch template, not a launch configuration.",
  validateResource: forType("autoscaling-launch-template", GROUP, (p, _a, report) => {
    if (p.launchConfiguration !== undefined) report("uses a launch configuration: use a launch template");
    else if (p.launchTemplate === undefined && p.mixedInstancesPolicy === undefined) report("has no launch template");
  }),
};

export const imdsv2Required: ResourceValidationPolicy = {
  name: "ec2-imdsv2-required",
  description: "EC2.8: instances require IMDSv2 (session tokens), launch templates and image builds alike.",
  validateResource: [
    forType("ec2-imdsv2-required", LAUNCH_TEMPLATE, (p, _a, report) => {
      if (p.metadataOptions?.httpTokens !== "required")
        report('metadataOptions.httpTokens is not "required": instances would answer IMDSv1');
    }),
    forType(
      "ec2-imdsv2-required",
      "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration",
      (p, _a, report) => {
        if (p.instanceMetadataOptions?.httpTokens !== "required")
          report('instanceMetadataOptions.httpTokens is not "required": build instances would answer IMDSv1');
      },
    ),
  ],
};

function unencryptedDevices(mappings: unknown): string[] {
  return list(mappings as Array<{ deviceName?: string; ebs?: { encrypted?: string | boolean } }>)
    .filter((m) => m.ebs !== undefined && String(m.ebs.encrypted) !== "true")
    .map((m) => m.deviceName ?? "?");
}

export const ebsEncrypted: ResourceValidationPolicy = {
  name: "ebs-encrypted",
  description: "Every EBS volume of a launch template or image recipe is encrypted.",
  validateResource: forType(
    "ebs-encrypted",
    [LAUNCH_TEMPLATE, "aws:imagebuilder/imageRecipe:ImageRecipe"],
    (p, _a, report) => {
      const bad = unencryptedDevices(p.blockDeviceMappings);
      if (bad.length) report(`unencrypted volume(s) ${bad.join(", ")}: set ebs.encrypted "true"`);
    },
  ),
};

export const noKeyPair: ResourceValidationPolicy = {
  name: "no-ssh-key-pair",
  description: "Instances carry no SSH key pair: access is SSM Session Manager.",
  validateResource: forType("no-ssh-key-pair", [LAUNCH_TEMPLATE, "aws:ec2/instance:Instance"], (p, _a, report) => {
    if (p.keyName) report(`keyName ${JSON.stringify(p.keyName)}: remove it, use SSM Session Manager`);
  }),
};

export const scheduledActionKeepsMax: ResourceValidationPolicy = {
  name: "scheduled-action-keeps-max",
  description: "Scheduled actions leave the group's max size unchanged (-1); one left out is sent as 0.",
  validateResource: forType("scheduled-action-keeps-max", "aws:autoscaling/schedule:Schedule", (p, _a, report) => {
    if (p.maxSize !== UNCHANGED)
      report(`maxSize is ${JSON.stringify(p.maxSize)}: set ${UNCHANGED} (unchanged), or the action resizes max too`);
  }),
};

export const COMPUTE_POLICIES = [
  autoscalingElbHealthCheck,
  autoscalingMultiAz,
  autoscalingLaunchTemplate,
  imdsv2Required,
  ebsEncrypted,
  noKeyPair,
  scheduledActionKeepsMax,
];
