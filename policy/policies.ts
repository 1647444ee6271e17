/**
 * Every policy of the pack, in one list: policy/index.ts hands it to the PolicyPack, the tests and
 * `npm run synth -- <stack> --policy` evaluate it offline (constructing a PolicyPack starts a server).
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { COMPUTE_POLICIES } from "./rules/compute";
import { IAM_POLICIES } from "./rules/iam";
import { JOBS_POLICIES } from "./rules/jobs";
import { LOAD_BALANCER_POLICIES } from "./rules/loadBalancer";
import { NETWORK_POLICIES } from "./rules/network";
import { STORAGE_POLICIES } from "./rules/storage";
import { WAF_POLICIES } from "./rules/waf";
import { AWS_ACCEPTS_POLICIES } from "./rules/accepts";

export type FleetPolicy = ResourceValidationPolicy | StackValidationPolicy;

export const ALL_POLICIES: FleetPolicy[] = [
  ...COMPUTE_POLICIES,
  ...NETWORK_POLICIES,
  ...LOAD_BALANCER_POLICIES,
  ...STORAGE_POLICIES,
  ...IAM_POLICIES,
  ...JOBS_POLICIES,
  ...WAF_POLICIES,
  // What AWS accepts beyond the provider's types (character sets, lengths, sizes, ranges), each citing its page.
  ...AWS_ACCEPTS_POLICIES,
];
