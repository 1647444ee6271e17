/**
 * AWS WAF values AWS accepts beyond the provider's types: a rate-based rule's limit and evaluation window,
 * and the CloudWatch metric names of a web ACL and its rules.
 */
import { WAF_RATE_LIMIT_MAX, WAF_RATE_LIMIT_MIN, WAF_WINDOWS_S } from "../../../infra/web/wafConfig";
import { acceptsRule, at, list, num, rangeProblem, str, type Finding } from "./rule";

const WEB_ACL = "aws:wafv2/webAcl:WebAcl";
const METRIC_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/** Why WAF would refuse a metric name (https://docs.aws.amazon.com/waf/latest/APIReference/API_VisibilityConfig.html). */
export function wafMetricNameProblem(name: string): string | undefined {
  if (!METRIC_NAME.test(name)) return "must be 1-128 letters, digits, - or _";
  return name === "All" || name === "Default_Action" ? "is reserved by AWS WAF" : undefined;
}

// https://docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html (Limit 10..2000000000;
// EvaluationWindowSec 60 | 120 | 300 | 600)
export const wafRateBasedStatement = acceptsRule({
  name: "aws-accepts-waf-rate-based-statement",
  description: "A rate-based rule's limit is 10..2,000,000,000 requests and its window 60, 120, 300 or 600 s.",
  meta: {
    types: [WEB_ACL],
    field: "rules[].statement.rateBasedStatement.limit, .evaluationWindowSec",
    limit: `limit ${WAF_RATE_LIMIT_MIN}..${WAF_RATE_LIMIT_MAX}; evaluationWindowSec ${WAF_WINDOWS_S.join(" | ")}`,
    source: "https://docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html",
  },
  check: (p) =>
    list(p.rules as Array<Record<string, any>>).flatMap((rule, i): Finding[] => {
      const s = rule.statement?.rateBasedStatement;
      if (!s) return [];
      const limit = num(s.limit);
      const window = s.evaluationWindowSec === undefined ? undefined : num(s.evaluationWindowSec);
      return [
        ...at(
          `rules[${i}].statement.rateBasedStatement.limit`,
          s.limit,
          limit === undefined ? "not a number" : rangeProblem(limit, WAF_RATE_LIMIT_MIN, WAF_RATE_LIMIT_MAX),
        ),
        ...(s.evaluationWindowSec === undefined
          ? []
          : at(
              `rules[${i}].statement.rateBasedStatement.evaluationWindowSec`,
              s.evaluationWindowSec,
              window !== undefined && (WAF_WINDOWS_S as readonly number[]).includes(window)
                ? undefined
                : `must be one of ${WAF_WINDOWS_S.join(", ")}`,
            )),
      ];
    }),
});

export const wafMetricNames = acceptsRule({
  name: "aws-accepts-waf-metric-name",
  description: "A web ACL's and its rules' metric names are 1-128 letters, digits, - or _, not All or Default_Action.",
  meta: {
    types: [WEB_ACL],
    field: "visibilityConfig.metricName, rules[].visibilityConfig.metricName",
    limit: "[A-Za-z0-9_-]{1,128}, not All | Default_Action",
    source: "https://docs.aws.amazon.com/waf/latest/APIReference/API_VisibilityConfig.html",
  },
  check: (p) => {
    const named: Array<[string, unknown]> = [
      ["visibilityConfig.metricName", p.visibilityConfig?.metricName],
      ...list(p.rules as Array<Record<string, any>>).map((r, i): [string, unknown] => [
        `rules[${i}].visibilityConfig.metricName`,
        r.visibilityConfig?.metricName,
      ]),
    ];
    return named.flatMap(([field, v]) => (str(v) ? at(field, v, wafMetricNameProblem(v)) : []));
  },
});

export const WAF_ACCEPTS_RULES = [wafRateBasedStatement, wafMetricNames];
