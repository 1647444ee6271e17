/**
 * SSM Parameter Store names AWS accepts, wherever the program names a parameter: a parameter resource, the
 * parameters Image Builder writes AMI ids to, and a launch template's `resolve:ssm:` image id.
 */
import { acceptsRule, at, list, str, type Finding } from "./rule";

const PARAMETER = "aws:ssm/parameter:Parameter";
const DISTRIBUTION = "aws:imagebuilder/distributionConfiguration:DistributionConfiguration";
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
export const SSM_PATH_DEPTH_MAX = 15;
/** The name's limit, counted with the parameter ARN around it (`arn:aws:ssm:<region>:<account>:parameter/`). */
export const SSM_NAME_WITH_ARN_MAX = 1011;

/**
 * Why Parameter Store would refuse `name`: only a-zA-Z0-9_.- and "/" between levels, no "aws"/"ssm" prefix
 * (case-insensitive, also after the leading slash), at most 15 levels, at most 1011 characters with its ARN
 * (`arnPrefixLength`: how long `arn:aws:ssm:<region>:<account>:parameter` is for this stack).
 */
export function ssmParameterNameProblem(name: string, arnPrefixLength = 0): string | undefined {
  if (!/^[a-zA-Z0-9_.\-/]+$/.test(name)) return "may contain only a-zA-Z0-9_.- and / between levels (no spaces)";
  const first = name.replace(/^\//, "");
  if (/^(aws|ssm)/i.test(first)) return 'cannot begin with "aws" or "ssm" (case-insensitive)';
  const depth = first.split("/").length;
  if (depth > SSM_PATH_DEPTH_MAX) return `at most ${SSM_PATH_DEPTH_MAX} levels, has ${depth}`;
  const full = arnPrefixLength + (name.startsWith("/") ? 0 : 1) + name.length;
  if (full > SSM_NAME_WITH_ARN_MAX) return `with its ARN at most ${SSM_NAME_WITH_ARN_MAX} characters, is ${full}`;
  return undefined;
}

/** `arn:aws:ssm:eu-central-1:123456789012:parameter` — 12-digit account, the longest region names are 14. */
const ARN_PREFIX_LENGTH = "arn:aws:ssm:".length + "ap-southeast-1".length + ":123456789012:parameter".length;

// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html (Name),
// the same text in https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/ssm/aws.sdk.kotlin.services.ssm.model/-put-parameter-request/name.html
export const ssmParameterNames = acceptsRule({
  name: "aws-accepts-ssm-parameter-name",
  description:
    "SSM parameter names: a-zA-Z0-9_.-/ only, no aws/ssm prefix, <= 15 levels, <= 1011 characters with the ARN.",
  meta: {
    types: [PARAMETER, DISTRIBUTION, LAUNCH_TEMPLATE],
    field: "name, distributions[].ssmParameterConfigurations[].parameterName, imageId (resolve:ssm:)",
    limit: "[a-zA-Z0-9_.-/]; not starting aws/ssm; <= 15 levels; <= 1011 characters including the ARN",
    source:
      "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/ssm/aws.sdk.kotlin.services.ssm.model/-put-parameter-request/name.html",
  },
  check: (p, { type }) => {
    const names: Array<[string, string]> = [];
    if (type === PARAMETER && str(p.name)) names.push(["name", p.name]);
    list(p.distributions as Array<{ ssmParameterConfigurations?: Array<{ parameterName?: unknown }> }>).forEach(
      (d, i) =>
        list(d?.ssmParameterConfigurations).forEach((c, j) => {
          if (str(c?.parameterName))
            names.push([`distributions[${i}].ssmParameterConfigurations[${j}].parameterName`, c.parameterName]);
        }),
    );
    if (str(p.imageId) && p.imageId.startsWith("resolve:ssm:")) {
      // resolve:ssm:<name>[:<version>|:<label>]
      const name = p.imageId.slice("resolve:ssm:".length).replace(/:[^/:]*$/, "");
      names.push(["imageId", name]);
    }
    const out: Finding[] = [];
    for (const [field, name] of names) out.push(...at(field, name, ssmParameterNameProblem(name, ARN_PREFIX_LENGTH)));
    return out;
  },
});

export const SSM_RULES = [ssmParameterNames];
