/** Who writes a region's ALB access logs, and the bucket policy that lets exactly them. */
import * as assert from "node:assert/strict";
import {
  accessLogsDelivery,
  ELB_ACCOUNT_OF_REGION,
  ELB_LOG_DELIVERY_SERVICE,
  elbLogDeliveryPrincipal,
} from "../../infra/observability/accessLogs";
import { tlsOnlyPolicy } from "../../infra/shared/privateBucket";

describe("infra access logs", () => {
  it("regions opened before August 2022 grant their ELB account; newer ones the log-delivery service", () => {
    assert.deepEqual(elbLogDeliveryPrincipal("eu-central-1"), { AWS: "arn:aws:iam::054676820928:root" });
    assert.deepEqual(elbLogDeliveryPrincipal("us-east-1"), { AWS: "arn:aws:iam::127311923021:root" });
    assert.deepEqual(elbLogDeliveryPrincipal("eu-central-2"), { Service: ELB_LOG_DELIVERY_SERVICE });
    assert.deepEqual(elbLogDeliveryPrincipal("ap-southeast-5"), { Service: ELB_LOG_DELIVERY_SERVICE });
    for (const account of Object.values(ELB_ACCOUNT_OF_REGION)) assert.match(account, /^\d{12}$/);
  });

  it("lets log delivery put objects under this account's prefix only, and denies plain HTTP to everyone", () => {
    const arn = "arn:aws:s3:::logs";
    const policy = JSON.parse(tlsOnlyPolicy(arn, [accessLogsDelivery(arn, "eu-central-1", "123456789012")]));
    assert.deepEqual(
      policy.Statement.map((s: { Sid: string; Effect: string }) => [s.Sid, s.Effect]),
      [
        ["ElbLogDelivery", "Allow"],
        ["DenyPlainHttp", "Deny"],
      ],
    );
    assert.equal(policy.Statement[0].Action, "s3:PutObject");
    assert.equal(policy.Statement[0].Resource, "arn:aws:s3:::logs/alb/AWSLogs/123456789012/*");
  });
});
