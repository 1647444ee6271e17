/** The WAF rate limit: its stack settings (what AWS WAF accepts), its rule, and where the program puts it. */
import * as assert from "node:assert/strict";
import { parseWafConfig, WAF_DEFAULTS } from "../../infra/web/wafConfig";
import { rateLimitRule, wafMetricName } from "../../infra/web/waf";
import { FleetConfigError } from "../../infra/shared/configError";
import { all, one, stackPlan, T } from "./helpers";

const lookup = (c: Record<string, string>) => (k: string) => c[k];

describe("parseWafConfig", () => {
  it("is off by default, with AWS's default window", () => {
    assert.deepEqual(parseWafConfig(lookup({})), { enabled: false, ...WAF_DEFAULTS });
    assert.equal(WAF_DEFAULTS.windowS, 300);
  });

  it("takes a limit and a window within what AWS WAF accepts", () => {
    assert.deepEqual(parseWafConfig(lookup({ waf: "true", wafRateLimit: "10", wafWindowSeconds: "60" })), {
      enabled: true,
      rateLimit: 10,
      windowS: 60,
    });
    assert.equal(parseWafConfig(lookup({ waf: "true", wafRateLimit: "2000000000" })).rateLimit, 2_000_000_000);
  });

  const refused: Array<[Record<string, string>, string, RegExp]> = [
    [{ waf: "yes" }, "waf", /not true or false/],
    [{ waf: "true", wafRateLimit: "9" }, "wafRateLimit", /from 10 to 2000000000/],
    [{ waf: "true", wafRateLimit: "2000000001" }, "wafRateLimit", /from 10 to 2000000000/],
    [{ waf: "true", wafRateLimit: "1e3" }, "wafRateLimit", /whole number/],
    [{ waf: "true", wafWindowSeconds: "30" }, "wafWindowSeconds", /60, 120, 300, 600/],
    [{ wafRateLimit: "500" }, "wafRateLimit", /fleet:waf is not true/],
    [{ waf: "false", wafWindowSeconds: "60" }, "wafWindowSeconds", /fleet:waf is not true/],
  ];
  for (const [config, key, problem] of refused)
    it(`refuses ${JSON.stringify(config)}, naming fleet:${key}`, () => {
      assert.throws(
        () => parseWafConfig(lookup(config)),
        (e: unknown) => e instanceof FleetConfigError && e.key === key && problem.test(e.message),
      );
    });
});

describe("the rate-based rule", () => {
  it("blocks with 429 past the limit per client address, in the window", () => {
    const rule = rateLimitRule(2000, 300, "fleet-prod-cloudfront-rate");
    assert.deepEqual(rule.statement.rateBasedStatement, {
      limit: 2000,
      evaluationWindowSec: 300,
      aggregateKeyType: "IP",
    });
    assert.deepEqual(rule.action, { block: { customResponse: { responseCode: 429 } } });
  });

  it("names its metrics with the characters WAF accepts only", () => {
    assert.equal(wafMetricName("fleet", "dev.eu", "cloudfront"), "fleet-dev-eu-cloudfront");
    assert.equal(wafMetricName("x".repeat(200)).length, 128);
    assert.throws(() => wafMetricName("All"), /not a metric name/);
  });
});

describe("the WAF in the plans", () => {
  it("prod: one CLOUDFRONT web ACL in us-east-1 in front of both distributions, with the stack's limits", async () => {
    const r = await stackPlan("prod");
    const acl = one(r, T.webAcl);
    assert.equal(acl.inputs.scope, "CLOUDFRONT");
    assert.equal(acl.inputs.region, "us-east-1");
    assert.deepEqual(acl.inputs.defaultAction, { allow: {} });
    assert.deepEqual(acl.inputs.rules[0].statement.rateBasedStatement, {
      limit: 2000,
      evaluationWindowSec: 300,
      aggregateKeyType: "IP",
    });
    const cdns = all(r, T.cdn);
    assert.equal(cdns.length, 2);
    for (const cdn of cdns) assert.equal(cdn.inputs.webAclId, acl.outputs.arn, `${cdn.name} behind the web ACL`);
    assert.equal(all(r, T.webAclAssociation).length, 0, "no ALB of its own: it serves only CloudFront");
  });

  it("dev: none (off by default)", async () => {
    const r = await stackPlan("dev");
    assert.equal(all(r, T.webAcl).length, 0);
    for (const cdn of all(r, T.cdn)) assert.equal(cdn.inputs.webAclId, undefined);
  });
});
