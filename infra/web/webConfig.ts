/**
 * The stack settings of the API's front door for pages (`fleet:corsOrigins`, `fleet:originSecret`), parsed
 * by `parseFleetConfig` (infra/shared/config.ts) with the same rules: a pure function over the key lookup,
 * one `FleetConfigError` naming the key, the bad value and the fix.
 *
 * `corsOrigins` is checked by the service's own checker (service/config.ts `checkCorsOrigins`), so the stack
 * cannot write a CORS_ORIGINS the instances would refuse at start. `originSecret` is the value CloudFront
 * sends to the ALB in a custom header when the stack has no certificate (infra/web/apiCdn.ts); the ALB
 * forwards only requests that carry it. It is a stack secret because nothing else can make one here: the
 * program has no random provider, and a value derived from public names would not be secret.
 */
import { checkCorsOrigins } from "../../service/config";
import { FleetConfigError, type ConfigLookup } from "../shared/configError";

/** Every key this module reads, for the unknown-key check. */
export const WEB_CONFIG_KEYS = ["corsOrigins", "originSecret"] as const;

export interface WebConfig {
  /** CORS_ORIGINS of the web instances and the results CDN's allowance; empty: no cross-origin access. */
  corsOrigins: readonly string[];
  /** The CloudFront-to-ALB header value; present exactly when the API is served through CloudFront. */
  originSecret?: string;
}

/**
 * The secret's form: letters and digits only, because the ALB's http-header condition treats `*` and `?`
 * as wildcards and compares case-insensitively, and allows at most 128 characters per value
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html#http-header-conditions);
 * at least 32, so 32 hex digits give 128 bits even compared without case.
 */
export const ORIGIN_SECRET = /^[A-Za-z0-9]{32,128}$/;
const SET_SECRET = "`pulumi config set --secret fleet:originSecret $(openssl rand -hex 32)`";

/** `behindCloudFront`: the stack has no certificate, so CloudFront serves the API (and needs the secret). */
export function parseWebConfig(get: ConfigLookup, base: { behindCloudFront: boolean }): WebConfig {
  const corsRaw = get("corsOrigins");
  const checked = checkCorsOrigins(corsRaw ?? "");
  if (!("origins" in checked)) {
    throw new FleetConfigError(
      "corsOrigins",
      corsRaw,
      `${JSON.stringify(checked.entry)} ${checked.problem}`,
      `write ${checked.fix}, e.g. \`pulumi config set fleet:corsOrigins https://app.example.com\``,
    );
  }
  const secretRaw = get("originSecret");
  const originSecret = secretRaw?.trim() || undefined;
  if (!base.behindCloudFront) {
    if (originSecret !== undefined) {
      throw new FleetConfigError(
        "originSecret",
        "[secret]",
        "set on a stack with fleet:certificateArn, where the ALB serves HTTPS itself and no CloudFront sends it",
        "remove it (`pulumi config rm fleet:originSecret`), or remove fleet:certificateArn to serve through CloudFront",
      );
    }
    return { corsOrigins: checked.origins };
  }
  // The value itself never goes into a message: it is the one thing that keeps the ALB private.
  if (originSecret === undefined) {
    throw new FleetConfigError(
      "originSecret",
      undefined,
      "missing: without fleet:certificateArn the API is served through CloudFront, which proves itself to the ALB with this secret header",
      `set it once per stack with ${SET_SECRET}, or set fleet:certificateArn`,
    );
  }
  if (!ORIGIN_SECRET.test(originSecret)) {
    throw new FleetConfigError(
      "originSecret",
      `[secret of ${originSecret.length} characters]`,
      "not 32 to 128 letters and digits (the ALB's header match treats * and ? as wildcards and allows 128 characters)",
      `set a new one with ${SET_SECRET}`,
    );
  }
  return { corsOrigins: checked.origins, originSecret };
}
