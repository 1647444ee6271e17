/** Both CloudFront distributions: security headers, the TLS floor they can have, and access logs. */
import * as assert from "node:assert/strict";
import { all, one, stackPlan, T } from "./helpers";
import { HSTS_MAX_AGE_S } from "../../infra/shared/cdnSecurity";

for (const stack of ["dev", "prod"])
  describe(`the CDNs' viewer side: ${stack}`, () => {
    it("answer with nosniff, HSTS, DENY framing and no referrer, over CloudFront's value", async () => {
      const r = await stackPlan(stack);
      for (const cdn of all(r, T.cdn)) {
        const id = cdn.inputs.defaultCacheBehavior.responseHeadersPolicyId;
        const policy = all(r, T.headersPolicy).find((p) => p.id === id);
        assert.ok(policy, `${cdn.name} has a response headers policy`);
        const h = policy.inputs.securityHeadersConfig;
        assert.deepEqual(h.contentTypeOptions, { override: true });
        assert.equal(h.strictTransportSecurity.accessControlMaxAgeSec, HSTS_MAX_AGE_S);
        assert.equal(h.strictTransportSecurity.override, true);
        assert.equal(h.frameOptions.frameOption, "DENY");
        assert.equal(h.referrerPolicy.referrerPolicy, "no-referrer");
      }
    });

    it("keep the results' headers policy under its old URN (alias of the CORS-only policy)", async () => {
      const r = await stackPlan(stack);
      assert.deepEqual(one(r, T.headersPolicy, "fleet-results-headers").options.aliases, ["fleet-results-cors"]);
    });

    it("state the TLS floor CloudFront's default certificate allows (TLSv1: AWS ignores any other)", async () => {
      const r = await stackPlan(stack);
      for (const cdn of all(r, T.cdn))
        assert.deepEqual(cdn.inputs.viewerCertificate, {
          cloudfrontDefaultCertificate: true,
          minimumProtocolVersion: "TLSv1",
        });
    });

    it("log to one private bucket with ACLs enabled (CloudFront's standard logging needs them), a prefix each", async () => {
      const r = await stackPlan(stack);
      const bucket = one(r, T.bucket, "fleet-cdn-logs");
      const ownership = all(r, T.ownership).find((o) => o.inputs.bucket === bucket.id)!;
      assert.equal(ownership.inputs.rule.objectOwnership, "BucketOwnerPreferred");
      const pab = all(r, T.publicAccessBlock).find((o) => o.inputs.bucket === bucket.id)!;
      for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])
        assert.equal(pab.inputs[flag], true, flag);
      const cdns = all(r, T.cdn);
      assert.deepEqual(cdns.map((c) => c.inputs.loggingConfig.prefix).sort(), ["api/", "results/"]);
      for (const cdn of cdns) {
        assert.equal(cdn.inputs.loggingConfig.bucket, bucket.outputs.bucketDomainName);
        assert.equal(cdn.inputs.loggingConfig.includeCookies, false);
        assert.ok(cdn.options.dependsOn?.includes(`${T.ownership}::fleet-cdn-logs`), "ACLs on before logging");
      }
      // Every other bucket keeps ACLs off.
      for (const o of all(r, T.ownership).filter((x) => x.inputs.bucket !== bucket.id))
        assert.equal(o.inputs.rule.objectOwnership, "BucketOwnerEnforced");
    });
  });
