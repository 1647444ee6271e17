/**
 * KMS values AWS accepts beyond the provider's types: the waiting period before a key is deleted.
 */
import { acceptsRule, at, num, rangeProblem } from "./rule";

// https://docs.aws.amazon.com/kms/latest/cryptographic-details/key-deletion.html ("The range is 7-30 days")
export const keyDeletionWindow = acceptsRule({
  name: "aws-accepts-kms-deletion-window",
  description: "A KMS key's deletion waiting period is 7-30 days.",
  meta: {
    types: ["aws:kms/key:Key"],
    field: "deletionWindowInDays",
    limit: "7..30 days",
    source: "https://docs.aws.amazon.com/kms/latest/cryptographic-details/key-deletion.html",
  },
  check: (p) => {
    const n = num(p.deletionWindowInDays);
    return n === undefined ? [] : at("deletionWindowInDays", p.deletionWindowInDays, rangeProblem(n, 7, 30, "days"));
  },
});

export const KMS_RULES = [keyDeletionWindow];
