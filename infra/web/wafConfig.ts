/**
 * The stack settings of the AWS WAF rate limit in front of the public endpoints (`fleet:waf`,
 * `fleet:wafRateLimit`, `fleet:wafWindowSeconds`), parsed by `parseFleetConfig` (infra/shared/config.ts) with
 * the same rules: a pure function over the key lookup, one `FleetConfigError` naming the key, the bad value and
 * the fix. Off unless a stack sets `fleet:waf true` (prod does: FSBP CloudFront.6 and ELB.16); the limits are
 * checked against what AWS accepts for a rate-based statement.
 */
import { FleetConfigError, type ConfigLookup } from "../shared/configError";

/** Every key this module reads, for the unknown-key check. */
export const WAF_CONFIG_KEYS = ["waf", "wafRateLimit", "wafWindowSeconds"] as const;

/**
 * The evaluation windows AWS WAF accepts for a rate-based rule, in seconds
 * (https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html).
 */
export const WAF_WINDOWS_S = [60, 120, 300, 600] as const;
export type WafWindowS = (typeof WAF_WINDOWS_S)[number];

/**
 * The requests per window and client address AWS accepts: 10 to 2,000,000,000
 * (RateBasedStatement.Limit, https://docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html).
 */
export const WAF_RATE_LIMIT_MIN = 10;
export const WAF_RATE_LIMIT_MAX = 2_000_000_000;

/**
 * 2,000 requests per 5 minutes per client address (about 6.7 per second, sustained): far above what one page
 * or client of the API makes (a long poll is one request per 20 s), far below what one address needs to fill
 * the job backlog or the CPU.
 */
export const WAF_DEFAULTS = { rateLimit: 2000, windowS: 300 as WafWindowS } as const;

export interface WafConfig {
  enabled: boolean;
  /** Requests one client address may make per window before the rest are blocked (429). */
  rateLimit: number;
  windowS: WafWindowS;
}

export function parseWafConfig(get: ConfigLookup): WafConfig {
  const wafRaw = get("waf");
  const wafValue = wafRaw?.trim().toLowerCase() || "false";
  if (wafValue !== "true" && wafValue !== "false")
    throw new FleetConfigError(
      "waf",
      wafRaw,
      "not true or false",
      "set `pulumi config set fleet:waf true` or remove it",
    );
  const enabled = wafValue === "true";

  const limitRaw = get("wafRateLimit");
  const windowRaw = get("wafWindowSeconds");
  if (!enabled) {
    for (const [key, raw] of [
      ["wafRateLimit", limitRaw],
      ["wafWindowSeconds", windowRaw],
    ] as const)
      if (raw !== undefined && raw.trim() !== "")
        throw new FleetConfigError(
          key,
          raw,
          "set while fleet:waf is not true, so no web ACL would use it",
          `set \`pulumi config set fleet:waf true\`, or remove it (\`pulumi config rm fleet:${key}\`)`,
        );
    return { enabled, ...WAF_DEFAULTS };
  }

  let rateLimit: number = WAF_DEFAULTS.rateLimit;
  if (limitRaw !== undefined && limitRaw.trim() !== "") {
    const n = Number(limitRaw.trim());
    if (!/^\d+$/.test(limitRaw.trim()) || n < WAF_RATE_LIMIT_MIN || n > WAF_RATE_LIMIT_MAX)
      throw new FleetConfigError(
        "wafRateLimit",
        limitRaw,
        `not a whole number of requests from ${WAF_RATE_LIMIT_MIN} to ${WAF_RATE_LIMIT_MAX} (what AWS WAF accepts)`,
        `set requests per window and client address, e.g. \`pulumi config set fleet:wafRateLimit ${WAF_DEFAULTS.rateLimit}\``,
      );
    rateLimit = n;
  }
  let windowS: WafWindowS = WAF_DEFAULTS.windowS;
  if (windowRaw !== undefined && windowRaw.trim() !== "") {
    const n = Number(windowRaw.trim());
    if (!(WAF_WINDOWS_S as readonly number[]).includes(n))
      throw new FleetConfigError(
        "wafWindowSeconds",
        windowRaw,
        `not an evaluation window AWS WAF accepts (${WAF_WINDOWS_S.join(", ")} seconds)`,
        `set one of ${WAF_WINDOWS_S.join(", ")}, e.g. \`pulumi config set fleet:wafWindowSeconds 300\``,
      );
    windowS = n as WafWindowS;
  }
  return { enabled, rateLimit, windowS };
}
