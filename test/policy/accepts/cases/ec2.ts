/** Broken and at-the-limit cases of the AWS-accepts rules for EC2: security group texts, launch templates, flow logs. */
import { type Case, T, chars, mutate } from "../helpers";

const b64 = (bytes: number) => Buffer.alloc(bytes, "#").toString("base64");

export const BROKEN: Case[] = [
  [
    "aws-accepts-security-group-text",
    "a group description with an apostrophe",
    () => [mutate(T.sg, (i) => (i.description = "fleet's ALB"), "fleet-alb")],
    /description: has "'"/,
  ],
  [
    "aws-accepts-security-group-text",
    "an inline egress rule description with a quote",
    () => [mutate(T.sg, (i) => (i.egress[0].description = 'HTTPS "out"'), "fleet-builder")],
    /egress\[0\]\.description/,
  ],
  [
    "aws-accepts-security-group-text",
    "a group description of 256 characters",
    () => [mutate(T.sg, (i) => (i.description = chars(256)), "fleet-alb")],
    /at most 255/,
  ],
  [
    "aws-accepts-security-group-text",
    "a group name starting sg-",
    () => [mutate(T.sg, (i) => (i.name = "sg-fleet"), "fleet-alb")],
    /sg-/,
  ],
  [
    "aws-accepts-security-group-rule-description",
    "& in a rule that references the ALB's group",
    () => [mutate(T.ingress, (i) => (i.description = "traffic & health checks"), "fleet-from-alb")],
    /"&"/,
  ],
  [
    "aws-accepts-security-group-rule-description",
    "an apostrophe in a CIDR rule",
    () => [mutate(T.ingress, (i) => (i.description = "HTTP from the world's browsers"), "fleet-alb-80")],
  ],
  [
    "aws-accepts-launch-template-name",
    "a space in the name",
    () => [mutate(T.lt, (i) => (i.name = "fleet lt"), "fleet-lt")],
    /name: has " "/,
  ],
  [
    "aws-accepts-launch-template-name",
    "a name of 129 characters",
    () => [mutate(T.lt, (i) => (i.name = chars(129)), "fleet-lt")],
  ],
  [
    "aws-accepts-launch-template-name",
    "a description of 256 characters",
    () => [mutate(T.lt, (i) => (i.description = chars(256)), "fleet-lt")],
    /description/,
  ],
  [
    "aws-accepts-user-data-size",
    "16,385 bytes of user data",
    () => [mutate(T.lt, (i) => (i.userData = b64(16_385)), "fleet-lt")],
    /16384 bytes/,
  ],
  [
    "aws-accepts-user-data-size",
    "user data that is not base64",
    () => [mutate(T.lt, (i) => (i.userData = "#!/bin/bash\necho hi"), "fleet-lt")],
    /base64/,
  ],
  [
    "aws-accepts-flow-log-interval",
    "a 300 s aggregation interval",
    () => [mutate("aws:ec2/flowLog:FlowLog", (i) => (i.maxAggregationInterval = 300))],
    /60 or 600/,
  ],
];

export const AT_THE_LIMIT: Case[] = [
  [
    "aws-accepts-security-group-text",
    "255 characters of every allowed kind",
    () => [mutate(T.sg, (i) => (i.description = "aZ09 ._-:/()#,@[]+=&;{}!$*".repeat(10).slice(0, 255)), "fleet-alb")],
  ],
  [
    "aws-accepts-security-group-rule-description",
    "& in a CIDR rule",
    () => [mutate(T.egress, (i) => (i.description = "HTTPS & more"), "fleet-https-out")],
  ],
  [
    "aws-accepts-launch-template-name",
    "128 characters of (). -/_",
    () => [mutate(T.lt, (i) => (i.name = "fleet(web).lt-/_".repeat(8).slice(0, 128)), "fleet-lt")],
  ],
  [
    "aws-accepts-user-data-size",
    "16,384 bytes of user data",
    () => [mutate(T.lt, (i) => (i.userData = b64(16_384)), "fleet-lt")],
  ],
  [
    "aws-accepts-flow-log-interval",
    "60 s",
    () => [mutate("aws:ec2/flowLog:FlowLog", (i) => (i.maxAggregationInterval = 60))],
  ],
];
