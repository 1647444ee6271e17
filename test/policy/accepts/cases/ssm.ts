/** Broken and at-the-limit cases of the AWS-accepts rules for SSM parameter names. */
import { type Case, T, mutate, res } from "../helpers";

export const BROKEN: Case[] = [
  [
    "aws-accepts-ssm-parameter-name",
    "an AMI parameter under /aws",
    () => [
      mutate(
        T.distribution,
        (i) => (i.distributions[0].ssmParameterConfigurations[0].parameterName = "/aws/fleet/ami"),
      ),
    ],
    /"aws" or "ssm"/,
  ],
  [
    "aws-accepts-ssm-parameter-name",
    "16 levels",
    () => [
      mutate(
        T.distribution,
        (i) => (i.distributions[0].ssmParameterConfigurations[0].parameterName = "/" + Array(16).fill("a").join("/")),
      ),
    ],
    /15 levels/,
  ],
  [
    "aws-accepts-ssm-parameter-name",
    "a launch template resolving a name with a space",
    () => [mutate(T.lt, (i) => (i.imageId = "resolve:ssm:/fleet/my ami"), "fleet-lt")],
    /imageId/,
  ],
  [
    "aws-accepts-ssm-parameter-name",
    "a parameter resource named under /ssm",
    () => [
      res("aws:ssm/parameter:Parameter", "last-good", { name: "/ssm/fleet/last-good", type: "String", value: "ami-1" }),
    ],
    /"aws" or "ssm"/,
  ],
];

export const AT_THE_LIMIT: Case[] = [
  [
    "aws-accepts-ssm-parameter-name",
    "15 levels",
    () => [
      mutate(
        T.distribution,
        (i) => (i.distributions[0].ssmParameterConfigurations[0].parameterName = "/" + Array(15).fill("a").join("/")),
      ),
    ],
  ],
];
