/**
 * The fleet's policy pack: `pulumi preview --policy-pack policy` (and `pulumi up --policy-pack policy`).
 * Only constructs the pack: the policies live in policy/rules/, listed by policy/policies.ts, so tests and
 * the offline synth import them without starting the pack's server.
 */
import { PolicyPack } from "@pulumi/policy";
import { ALL_POLICIES } from "./policies";

new PolicyPack("fleet", {
  description: "AWS Foundational Security Best Practices that apply to the fleet, and the project's own rules",
  enforcementLevel: "mandatory",
  policies: ALL_POLICIES,
});
