/**
 * HTTPS in every stack (infra/web/apiCdn.ts, infra/web/loadBalancer.ts) and the page-facing stack keys
 * (infra/web/webConfig.ts): without a certificate, CloudFront serves the API on its own certificate, caches
 * nothing, forwards what the API needs, waits longer than the service's longest answer, and is the only way
 * in (origin-facing prefix list + secret header); the results CDN answers pages with the API's allowance.
 */
import * as assert from "node:assert/strict";
import { readStackConfig, synth, type SynthResult } from "../../scripts/synth";
import { vcpusOf } from "../../infra/jobs/jobsConfig";
import { DEFAULT_CLIENT_QUOTA_S, DEFAULT_MAX_BACKLOG_S } from "../../service/jobs/config";
import { FleetConfigError, parseFleetConfig } from "../../infra/shared/config";
import {
  ALL_VIEWER_EXCEPT_HOST_POLICY_ID,
  API_ORIGIN_READ_TIMEOUT_S,
  CACHING_DISABLED_POLICY_ID,
  checkOriginTimings,
  longestAnswerS,
  ORIGIN_SECRET_HEADER,
} from "../../infra/web/apiCdn";
import { resultsCorsConfig } from "../../infra/jobs/results";
import { MAX_POLL_WAIT_S } from "../../service/jobs/timing";
import { CORS_MAX_AGE_S } from "../../service/cors";
import { all, envFileOf, idOf, one, stackPlan, T } from "./helpers";

const RULE = "aws:lb/listenerRule:ListenerRule";
const RHP = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy";
const SECRET = "b".repeat(64);
const CERT = "arn:aws:acm:eu-central-1:123456789012:certificate/12345678-1234-1234-1234-123456789012";

function webOf(values: Record<string, string>) {
  return parseFleetConfig((k) => values[k], new Date("2026-12-03T12:00:00Z"), Object.keys(values)).web;
}

describe("fleet:corsOrigins and fleet:originSecret (infra/web/webConfig.ts)", () => {
  it("reads the origins by the service's rules, and the secret only where CloudFront serves", () => {
    assert.deepEqual(webOf({ originSecret: SECRET, corsOrigins: "https://app.example.com, http://127.0.0.1:5173" }), {
      corsOrigins: ["https://app.example.com", "http://127.0.0.1:5173"],
      originSecret: SECRET,
    });
    assert.deepEqual(webOf({ certificateArn: CERT }), { corsOrigins: [] });
  });

  const bad: Array<[string, Record<string, string>, string, RegExp]> = [
    [
      "an origin with a path",
      { originSecret: SECRET, corsOrigins: "https://a.example/app" },
      "corsOrigins",
      /write "https:\/\/a\.example" for this entry/,
    ],
    [
      "* in a list",
      { originSecret: SECRET, corsOrigins: "*,https://a.example" },
      "corsOrigins",
      /mixed with other origins/,
    ],
    ["no secret without a certificate", {}, "originSecret", /pulumi config set --secret fleet:originSecret/],
    ["a short secret", { originSecret: "abc" }, "originSecret", /32 to 128 letters and digits/],
    ["a secret with a wildcard", { originSecret: "*".repeat(40) }, "originSecret", /wildcards/],
    ["a secret with a certificate", { originSecret: SECRET, certificateArn: CERT }, "originSecret", /remove it/],
  ];
  for (const [what, values, key, message] of bad) {
    it(`refuses ${what}, naming fleet:${key} (and never printing the secret)`, () => {
      assert.throws(
        () => webOf(values),
        (err: unknown) =>
          err instanceof FleetConfigError &&
          err.key === key &&
          message.test(err.message) &&
          !err.message.includes(SECRET),
      );
    });
  }
});

describe("the origin timings (CloudFront waits longer than the service's longest answer)", () => {
  it("holds for the shipped numbers: the long poll and /api/:n fit in the 30 s response timeout", () => {
    assert.ok(longestAnswerS() >= MAX_POLL_WAIT_S);
    assert.ok(longestAnswerS() < API_ORIGIN_READ_TIMEOUT_S);
    assert.doesNotThrow(() => checkOriginTimings());
  });

  it("refuses a timeout CloudFront does not accept, or one the long poll would outlast", () => {
    assert.throws(() => checkOriginTimings(61), /outside the 1\.\.60 s/);
    assert.throws(() => checkOriginTimings(MAX_POLL_WAIT_S), /CloudFront waits only/);
    assert.throws(() => checkOriginTimings(30, 60), /keep-alive/);
  });
});

for (const stack of ["dev", "prod"]) {
  describe(`HTTPS through CloudFront: ${stack} stack (no certificate)`, () => {
    let r: SynthResult;
    before(async () => {
      r = await stackPlan(stack);
    });

    it("publishes an https url and jobsUrl on the API's distribution", () => {
      const api = one(r, T.cdn, "fleet-api");
      assert.equal(r.outputs.url, `https://${api.outputs.domainName}`);
      assert.equal(r.outputs.jobsUrl, `${r.outputs.url}/jobs`);
      assert.match(String(r.outputs.resultsBaseUrl), /^https:\/\//);
    });

    it("caches nothing, forwards every method, the query and every header but Host, waits out the long poll", () => {
      const api = one(r, T.cdn, "fleet-api").inputs;
      const b = api.defaultCacheBehavior;
      assert.equal(b.cachePolicyId, CACHING_DISABLED_POLICY_ID);
      assert.equal(b.originRequestPolicyId, ALL_VIEWER_EXCEPT_HOST_POLICY_ID);
      assert.deepEqual([...b.allowedMethods].sort(), ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]);
      assert.equal(b.viewerProtocolPolicy, "https-only");
      // TLSv1 is what CloudFront applies on its default certificate whatever is asked (cdnSecurity.ts).
      assert.deepEqual(api.viewerCertificate, { cloudfrontDefaultCertificate: true, minimumProtocolVersion: "TLSv1" });
      const [origin] = api.origins;
      assert.equal(origin.domainName, r.outputs.albDnsName);
      assert.equal(origin.customOriginConfig.originProtocolPolicy, "http-only");
      assert.equal(origin.customOriginConfig.originReadTimeout, API_ORIGIN_READ_TIMEOUT_S);
      assert.ok(origin.customOriginConfig.originReadTimeout > MAX_POLL_WAIT_S);
      assert.deepEqual(origin.customHeaders, [
        { name: ORIGIN_SECRET_HEADER, value: readStackConfig(stack)["fleet:originSecret"] },
      ]);
    });

    it("lets only CloudFront in: the origin-facing prefix list on 80, 403 unless the secret header matches", () => {
      const albSg = one(r, T.sg, "fleet-alb");
      const ingress = all(r, T.ingress).filter((x) => x.inputs.securityGroupId === idOf(albSg));
      assert.deepEqual(
        ingress.map((x) => [x.inputs.fromPort, x.inputs.prefixListId, x.inputs.cidrIpv4]),
        [[80, "pl-3b927c52", undefined]],
      );
      const listener = one(r, T.listener);
      assert.equal(listener.inputs.defaultActions[0].type, "fixed-response");
      assert.equal(listener.inputs.defaultActions[0].fixedResponse.statusCode, "403");
      const rule = one(r, RULE);
      const [cond] = rule.inputs.conditions;
      assert.equal(cond.httpHeader.httpHeaderName, ORIGIN_SECRET_HEADER);
      assert.deepEqual(cond.httpHeader.values, [one(r, T.cdn, "fleet-api").inputs.origins[0].customHeaders[0].value]);
      assert.equal(rule.inputs.actions[0].type, "forward");
    });

    it("tells the web instances TRUST_PROXY=2 (CloudFront, then the ALB, append to X-Forwarded-For), the workers nothing", () => {
      const envs = all(r, T.lt).map((lt) => envFileOf(Buffer.from(lt.inputs.userData, "base64").toString()));
      const web = envs.find((e) => e.get("FLEET_ROLE") === "web")!;
      assert.equal(web.get("TRUST_PROXY"), "2");
      const values = readStackConfig(stack);
      const { jobs } = parseFleetConfig((k) => values[`fleet:${k}`], new Date("2026-12-03T12:00:00Z"));
      assert.equal(web.get("JOBS_WORKER_SLOTS"), String(jobs.workerMaxSize * jobs.workerConcurrency));
      // One client spread over every web process of the group at its largest stays within the backlog's bound.
      const { maxSize, instanceType } = parseFleetConfig((k) => values[`fleet:${k}`], new Date("2026-12-03T12:00:00Z"));
      const quotaS = Number(web.get("JOBS_CLIENT_QUOTA_S"));
      assert.ok(quotaS >= 1 && quotaS <= DEFAULT_CLIENT_QUOTA_S, `JOBS_CLIENT_QUOTA_S=${quotaS}`);
      assert.ok(quotaS * maxSize * vcpusOf(instanceType)! <= DEFAULT_MAX_BACKLOG_S);
      assert.equal(envs.find((e) => e.get("FLEET_ROLE") === "worker")!.has("TRUST_PROXY"), false);
    });

    it("has no CORS allowance on the results CDN and no CORS_ORIGINS on the web instances by default", () => {
      // Each distribution has its security headers policy, and the results' carries no CORS.
      assert.equal(all(r, RHP).length, 2);
      const results = one(r, RHP, "fleet-results-headers");
      assert.equal(results.inputs.corsConfig, undefined);
      assert.equal(one(r, T.cdn, "fleet-results").inputs.defaultCacheBehavior.responseHeadersPolicyId, idOf(results));
    });
  });
}

describe("fleet:corsOrigins reaches the web instances and the results CDN", () => {
  let r: SynthResult;
  const ORIGINS = "https://app.example.com,https://d333333abcdef8.cloudfront.net";
  before(async () => {
    r = await synth("dev", { ...readStackConfig("dev"), "fleet:corsOrigins": ORIGINS });
  });

  it("writes CORS_ORIGINS into the web role's environment file, not the worker's", () => {
    const lts = all(r, T.lt);
    const envs = lts.map((lt) => envFileOf(Buffer.from(lt.inputs.userData, "base64").toString()));
    const web = envs.find((e) => e.get("FLEET_ROLE") === "web")!;
    const worker = envs.find((e) => e.get("FLEET_ROLE") === "worker")!;
    assert.equal(web.get("CORS_ORIGINS"), ORIGINS);
    assert.equal(worker.has("CORS_ORIGINS"), false);
  });

  it("gives the results distribution a response headers policy with the same origins, no credentials", () => {
    const policy = one(r, RHP, "fleet-results-headers");
    assert.deepEqual(policy.inputs.corsConfig, resultsCorsConfig(ORIGINS.split(",")));
    assert.deepEqual(policy.inputs.corsConfig.accessControlAllowOrigins.items, ORIGINS.split(","));
    assert.equal(policy.inputs.corsConfig.accessControlAllowCredentials, false);
    assert.equal(policy.inputs.corsConfig.accessControlMaxAgeSec, CORS_MAX_AGE_S);
    for (const m of policy.inputs.corsConfig.accessControlAllowMethods.items)
      assert.ok(["GET", "POST", "OPTIONS", "PUT", "DELETE", "PATCH", "HEAD", "ALL"].includes(m), m);
    assert.equal(one(r, T.cdn, "fleet-results").inputs.defaultCacheBehavior.responseHeadersPolicyId, idOf(policy));
  });
});
