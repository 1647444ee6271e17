/**
 * EC2 values AWS accepts beyond the provider's types: security group and rule descriptions and names (a
 * narrow character set: an apostrophe makes `pulumi up` fail with "Invalid rule description"), and launch
 * templates (name, version description, user data size).
 */
import { acceptsRule, at, charsetProblem, lengthProblem, list, str, type Finding } from "./rule";

const SG = "aws:ec2/securityGroup:SecurityGroup";
const DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup";
const RULE_TYPES = [
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  "aws:ec2/securityGroupRule:SecurityGroupRule",
] as const;
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";

/** a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$* (security group names and descriptions, CIDR rules). */
const EC2_TEXT = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]$/;
/** The same without "&": descriptions of rules that reference a security group or a prefix list. */
const EC2_TEXT_NO_AMP = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=;{}!$*]$/;
const EC2_WORDS = "a-z A-Z 0-9, spaces and ._-:/()#,@[]+=&;{}!$*";
const EC2_WORDS_NO_AMP = "a-z A-Z 0-9, spaces and ._-:/()#,@[]+=;{}!$*";
export const EC2_DESCRIPTION_MAX = 255;

/**
 * Why EC2 would refuse `s` as a security group (rule) description; undefined when it accepts it.
 * `referencesGroup`: the rule names a security group or prefix list, whose description set lacks "&".
 */
export function ec2DescriptionProblem(s: string, referencesGroup = false): string | undefined {
  return (
    lengthProblem(s, 0, EC2_DESCRIPTION_MAX) ??
    (referencesGroup ? charsetProblem(s, EC2_TEXT_NO_AMP, EC2_WORDS_NO_AMP) : charsetProblem(s, EC2_TEXT, EC2_WORDS))
  );
}

// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html (GroupDescription, GroupName),
// the same text in https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/ec2/aws.sdk.kotlin.services.ec2.model/-create-security-group-request/description.html
const SG_SOURCE = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html";
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_UserIdGroupPair.html (Description: no "&"),
// API_IpRange.html / API_Ipv6Range.html (Description: with "&").
const RULE_SOURCE = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_UserIdGroupPair.html";

function inlineRuleFindings(p: Record<string, any>): Finding[] {
  const out: Finding[] = [];
  for (const dir of ["ingress", "egress"] as const)
    list(p[dir] as Array<Record<string, any>>).forEach((r, i) => {
      if (!str(r?.description)) return;
      const refs = list(r.securityGroups).length > 0 || list(r.prefixListIds).length > 0 || r.self === true;
      out.push(...at(`${dir}[${i}].description`, r.description, ec2DescriptionProblem(r.description, refs)));
    });
  return out;
}

export const securityGroupText = acceptsRule({
  name: "aws-accepts-security-group-text",
  description: "Security group names and descriptions, and their inline rules' descriptions, use EC2's character set.",
  meta: {
    types: [SG, DEFAULT_SG],
    field: "description, name, ingress[].description, egress[].description",
    limit: `<= 255 characters of ${EC2_WORDS}; name not starting with sg-`,
    source: SG_SOURCE,
  },
  check: (p) => [
    ...(str(p.description) ? at("description", p.description, ec2DescriptionProblem(p.description)) : []),
    ...(str(p.name)
      ? at(
          "name",
          p.name,
          lengthProblem(p.name, 1, 255),
          charsetProblem(p.name, EC2_TEXT, EC2_WORDS),
          /^sg-/i.test(p.name) ? "cannot start with sg-" : undefined,
        )
      : []),
    ...inlineRuleFindings(p),
  ],
});

export const securityGroupRuleDescription = acceptsRule({
  name: "aws-accepts-security-group-rule-description",
  description: "A security group rule's description uses EC2's character set (no & when it references a group).",
  meta: {
    types: RULE_TYPES,
    field: "description",
    limit: `<= 255 characters of ${EC2_WORDS} ("&" not allowed when the rule references a group or prefix list)`,
    source: RULE_SOURCE,
  },
  check: (p) => {
    if (!str(p.description)) return [];
    const refs = Boolean(p.referencedSecurityGroupId || p.sourceSecurityGroupId || p.prefixListId || p.self);
    return at("description", p.description, ec2DescriptionProblem(p.description, refs));
  },
});

// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LaunchTemplateVersion.html
const LT_SOURCE = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LaunchTemplateVersion.html";
const LT_NAME = /^[a-zA-Z0-9().\-/_]$/;

export const launchTemplateName = acceptsRule({
  name: "aws-accepts-launch-template-name",
  description: "A launch template's name is 3-128 characters of [a-zA-Z0-9().-/_]; its version description <= 255.",
  meta: {
    types: [LAUNCH_TEMPLATE],
    field: "name, description",
    limit: "name 3..128 of [a-zA-Z0-9().-/_]; description <= 255 characters",
    source: LT_SOURCE,
  },
  check: (p) => [
    ...(str(p.name)
      ? at("name", p.name, lengthProblem(p.name, 3, 128), charsetProblem(p.name, LT_NAME, "a-z A-Z 0-9 ( ) . - / _"))
      : []),
    ...(str(p.description) ? at("description", p.description, lengthProblem(p.description, 0, 255)) : []),
  ],
});

/** 16 KB of user data, counted before base64 encoding (EC2 answers "limited to 16384 bytes"). */
export const USER_DATA_MAX_BYTES = 16 * 1024;

/** Why EC2 would refuse this base64 user data; undefined when it accepts it. */
export function userDataProblem(base64: string): string | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64.replace(/\s+/g, ""))) return "must be base64-encoded";
  const bytes = Buffer.from(base64, "base64").length;
  return bytes > USER_DATA_MAX_BYTES
    ? `must be at most ${USER_DATA_MAX_BYTES} bytes before base64 encoding, is ${bytes}`
    : undefined;
}

// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RequestLaunchTemplateData.html (UserData),
// the same text in https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/ec2/aws.sdk.kotlin.services.ec2.model/-request-launch-template-data/user-data.html
export const launchTemplateUserData = acceptsRule({
  name: "aws-accepts-user-data-size",
  description: "A launch template's user data is base64 of at most 16 KB (16,384 bytes before encoding).",
  meta: {
    types: [LAUNCH_TEMPLATE],
    field: "userData",
    limit: "base64; <= 16,384 bytes decoded",
    source:
      "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/ec2/aws.sdk.kotlin.services.ec2.model/-request-launch-template-data/user-data.html",
  },
  check: (p) => (str(p.userData) ? at("userData", p.userData, userDataProblem(p.userData)) : []),
});

// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFlowLogs.html (MaxAggregationInterval),
// the same text in https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/ec2/aws.sdk.kotlin.services.ec2.model/-create-flow-logs-request/max-aggregation-interval.html
export const flowLogInterval = acceptsRule({
  name: "aws-accepts-flow-log-interval",
  description: "A flow log's maximum aggregation interval is 60 or 600 seconds.",
  meta: {
    types: ["aws:ec2/flowLog:FlowLog"],
    field: "maxAggregationInterval",
    limit: "60 | 600 seconds",
    source:
      "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/ec2/aws.sdk.kotlin.services.ec2.model/-create-flow-logs-request/max-aggregation-interval.html",
  },
  check: (p) =>
    p.maxAggregationInterval === undefined || [60, 600].includes(Number(p.maxAggregationInterval))
      ? []
      : at("maxAggregationInterval", p.maxAggregationInterval, "must be 60 or 600 seconds"),
});

export const EC2_RULES = [
  securityGroupText,
  securityGroupRuleDescription,
  launchTemplateName,
  launchTemplateUserData,
  flowLogInterval,
];
