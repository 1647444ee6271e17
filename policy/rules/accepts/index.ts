/**
 * Every "AWS accepts" rule, one list: policy/policies.ts adds it to ALL_POLICIES, docs/aws-rules.md lists
 * it (a test holds the two together), and each rule's `accepts` says its types, field, limit and source.
 */
import type { AcceptsRule } from "./rule";
import { AUTOSCALING_RULES } from "./autoscaling";
import { CLOUDWATCH_RULES } from "./cloudwatch";
import { EC2_RULES } from "./ec2";
import { ELB_RULES } from "./elb";
import { IAM_ACCEPTS_RULES } from "./iam";
import { IMAGEBUILDER_RULES } from "./imagebuilder";
import { KMS_RULES } from "./kms";
import { SCHEDULER_RULES } from "./scheduler";
import { SFN_RULES } from "./sfn";
import { SQS_RULES } from "./sqs";
import { SSM_RULES } from "./ssm";
import { STORAGE_ACCEPTS_RULES } from "./storage";
import { TAG_RULES } from "./tags";
import { WAF_ACCEPTS_RULES } from "./waf";

export const AWS_ACCEPTS_POLICIES: AcceptsRule[] = [
  ...EC2_RULES,
  ...ELB_RULES,
  ...AUTOSCALING_RULES,
  ...IMAGEBUILDER_RULES,
  ...IAM_ACCEPTS_RULES,
  ...SQS_RULES,
  ...CLOUDWATCH_RULES,
  ...SCHEDULER_RULES,
  ...SSM_RULES,
  ...SFN_RULES,
  ...STORAGE_ACCEPTS_RULES,
  ...KMS_RULES,
  ...WAF_ACCEPTS_RULES,
  ...TAG_RULES,
];
