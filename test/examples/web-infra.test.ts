/**
 * examples/web/infra, the second stack, under Pulumi's mocks with the fleet stack's outputs mocked: per
 * environment it reads that environment's fleet stack through a StackReference, hosts the page in a private
 * bucket behind CloudFront (origin access control), and uploads a frontend-config.json with that stack's
 * URLs; a fleet stack whose API is not HTTPS is refused before anything is uploaded.
 */
import * as assert from "node:assert/strict";
import path from "node:path";
import { planOf, synth, type SynthResult } from "../../scripts/synth";
import { evaluatePolicies } from "../../policy/evaluate";
import { ALL_POLICIES } from "../../policy/policies";
import { fleetStackName } from "../../examples/web/infra/webSite";
import { all, one, T } from "../infra/helpers";

const DIR = path.resolve(__dirname, "../../examples/web/infra");
const REF = "pulumi:pulumi:StackReference";

/** The outputs of the fleet stacks, as `pulumi stack output --json` of each would show them. */
function fleetOutputs(stack: string) {
  const api = `https://d${stack === "prod" ? "4" : "5"}44444abcdef8.cloudfront.net`;
  return {
    url: api,
    jobsUrl: `${api}/jobs`,
    resultsBaseUrl: `https://d${stack === "prod" ? "6" : "7"}66666abcdef8.cloudfront.net`,
  };
}

function run(stack: string, outputs: Record<string, Record<string, unknown>>, config: Record<string, string> = {}) {
  return synth(stack, { "aws:region": "eu-central-1", ...config }, undefined, {
    program: { dir: DIR, project: "fleet-web", organization: "acme", stackOutputs: outputs },
  });
}

describe("fleetStackName (fleet-web:fleetStack)", () => {
  it("defaults to the fleet project's stack of the same name, in the same organisation", () => {
    assert.equal(fleetStackName(undefined, "acme", "dev"), "acme/fleet/dev");
    assert.equal(fleetStackName("fleet/staging", "acme", "dev"), "acme/fleet/staging");
    assert.equal(fleetStackName("other/fleet/prod", "acme", "dev"), "other/fleet/prod");
    assert.throws(
      () => fleetStackName("prod", "acme", "dev"),
      /fleet-web:fleetStack = "prod" is invalid: expected "<project>\/<stack>"/,
    );
  });
});

for (const stack of ["dev", "prod"]) {
  describe(`examples/web/infra under mocks: ${stack}`, () => {
    let r: SynthResult;
    before(async () => {
      r = await run(stack, { [`acme/fleet/${stack}`]: fleetOutputs(stack) });
    });

    it(`reads the fleet stack of the same environment (acme/fleet/${stack})`, () => {
      assert.equal(one(r, REF).inputs.name, `acme/fleet/${stack}`);
    });

    it("reads another fleet stack when fleet-web:fleetStack names one", async () => {
      const other = await run(
        stack,
        { "acme/fleet/staging": fleetOutputs(stack) },
        { "fleet-web:fleetStack": "fleet/staging" },
      );
      assert.equal(one(other, REF).inputs.name, "acme/fleet/staging");
    });

    it("uploads the page and a frontend-config.json carrying that stack's URLs", () => {
      const objects = all(r, T.object);
      assert.deepEqual(objects.map((o) => o.inputs.key).sort(), ["app.js", "frontend-config.json", "index.html"]);
      const config = JSON.parse(objects.find((o) => o.inputs.key === "frontend-config.json")!.inputs.content);
      const api = fleetOutputs(stack);
      assert.deepEqual(config, {
        apiUrl: api.url,
        jobsUrl: api.jobsUrl,
        resultsBaseUrl: api.resultsBaseUrl,
        resultUrlBase: api.url,
        stack,
      });
      for (const o of objects) assert.equal(o.inputs.cacheControl, "no-cache");
      assert.equal(objects.find((o) => o.inputs.key === "index.html")!.inputs.contentType, "text/html; charset=utf-8");
      assert.equal(r.outputs.apiUrl, api.url);
    });

    it("serves them from a private, TLS-only bucket through one distribution with an origin access control", () => {
      const bucket = one(r, T.bucket);
      const pab = one(r, T.publicAccessBlock);
      assert.deepEqual(
        [
          pab.inputs.blockPublicAcls,
          pab.inputs.blockPublicPolicy,
          pab.inputs.ignorePublicAcls,
          pab.inputs.restrictPublicBuckets,
        ],
        [true, true, true, true],
      );
      const cdn = one(r, T.cdn);
      const policy = JSON.parse(one(r, T.bucketPolicy).inputs.policy);
      const read = policy.Statement.find((s: { Sid: string }) => s.Sid === "AllowCloudFrontReadPage");
      assert.deepEqual(read.Principal, { Service: "cloudfront.amazonaws.com" });
      assert.equal(read.Resource, `${bucket.outputs.arn}/*`);
      assert.deepEqual(read.Condition, { StringEquals: { "AWS:SourceArn": cdn.outputs.arn } });
      assert.ok(policy.Statement.some((s: { Sid: string }) => s.Sid === "DenyPlainHttp"));
      assert.equal(cdn.inputs.origins[0].originAccessControlId, `${one(r, T.oac).name}-id`);
      assert.equal(cdn.inputs.defaultRootObject, "index.html");
      assert.equal(cdn.inputs.defaultCacheBehavior.viewerProtocolPolicy, "redirect-to-https");
      assert.equal(r.outputs.pageUrl, `https://${cdn.outputs.domainName}`);
      assert.equal(r.outputs.pageOrigin, r.outputs.pageUrl);
    });

    it("passes the fleet's policy pack (the storage and CloudFront rules hold for this stack too)", async () => {
      assert.deepEqual(await evaluatePolicies(stack, planOf(r), ALL_POLICIES, "fleet-web"), []);
    });
  });
}

describe("examples/web/infra refuses what a page could not use", () => {
  it("a fleet stack whose API is plain HTTP, naming the output", async () => {
    const api = "http://fleet-alb-1.eu-central-1.elb.amazonaws.com";
    await assert.rejects(
      run("dev", {
        "acme/fleet/dev": { url: api, jobsUrl: `${api}/jobs`, resultsBaseUrl: "https://d1.cloudfront.net" },
      }),
      /stack output "url" must be https:\/\//,
    );
  });

  it("a fleet stack without the jobs outputs", async () => {
    await assert.rejects(run("dev", { "acme/fleet/dev": { url: "https://d1.cloudfront.net" } }), /jobsUrl/);
  });
});
