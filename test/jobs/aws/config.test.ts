import assert from "node:assert/strict";
import { ConfigError } from "../../../service/config";
import { AWS_JOBS_ENV } from "../../../service/jobs/aws-env";
import { bucketNameProblem, loadAwsJobsConfig } from "../../../service/jobs/aws/config";

const GOOD = {
  [AWS_JOBS_ENV.queueUrl]: "https://sqs.eu-west-1.amazonaws.com/123456789012/fleet-prod-jobs",
  [AWS_JOBS_ENV.deadLetterQueueUrl]: "https://sqs.eu-west-1.amazonaws.com/123456789012/fleet-prod-jobs-dlq",
  [AWS_JOBS_ENV.table]: "fleet-prod-jobs",
  [AWS_JOBS_ENV.resultsBucket]: "fleet-prod-results-1a2b3c",
  [AWS_JOBS_ENV.resultsBaseUrl]: "https://d111111abcdef8.cloudfront.net/",
};

function rejects(env: Record<string, string | undefined>, name: string, hint: RegExp) {
  assert.throws(
    () => loadAwsJobsConfig(env),
    (err: unknown) => err instanceof ConfigError && err.message.startsWith(name) && hint.test(err.message),
  );
}

describe("loadAwsJobsConfig", () => {
  it("reads the infra's environment, the region from the queue URL, the base URL without its slash", () => {
    assert.deepEqual(loadAwsJobsConfig(GOOD), {
      queueUrl: GOOD.JOBS_QUEUE_URL,
      deadLetterQueueUrl: GOOD.JOBS_DLQ_URL,
      table: "fleet-prod-jobs",
      resultsBucket: "fleet-prod-results-1a2b3c",
      resultsBaseUrl: "https://d111111abcdef8.cloudfront.net",
      region: "eu-west-1",
      s3ForcePathStyle: false,
    });
    assert.equal(loadAwsJobsConfig({ ...GOOD, AWS_REGION: "eu-central-1" }).region, "eu-central-1");
  });

  for (const name of Object.values(AWS_JOBS_ENV)) {
    it(`requires ${name}, naming it`, () => {
      rejects({ ...GOOD, [name]: undefined }, name, /is not set/);
      rejects({ ...GOOD, [name]: "  " }, name, /is not set/);
    });
  }

  it("refuses a queue URL that is not an SQS standard queue URL", () => {
    for (const bad of [
      "sqs.eu-west-1.amazonaws.com/123456789012/jobs",
      "https://sqs.eu-west-1.amazonaws.com/jobs",
      "https://sqs.eu-west-1.amazonaws.com/12345/jobs",
      "http://sqs.eu-west-1.amazonaws.com/123456789012/jobs",
      "https://sqs.eu-west-1.example.com/123456789012/jobs",
      "arn:aws:sqs:eu-west-1:123456789012:jobs",
    ]) {
      rejects({ ...GOOD, JOBS_QUEUE_URL: bad }, "JOBS_QUEUE_URL", /expected https:\/\/sqs\.<region>\.amazonaws\.com/);
    }
    rejects({ ...GOOD, JOBS_QUEUE_URL: `${GOOD.JOBS_QUEUE_URL}.fifo` }, "JOBS_QUEUE_URL", /standard queue/);
    rejects({ ...GOOD, JOBS_DLQ_URL: GOOD.JOBS_QUEUE_URL }, "JOBS_DLQ_URL", /queue of their own/);
  });

  it("accepts an emulator's http queue URL only while AWS_ENDPOINT_URL_SQS points the SDK at it", () => {
    const emulated = {
      ...GOOD,
      JOBS_QUEUE_URL: "http://sqs.us-east-1.localhost:4566/000000000000/jobs",
      JOBS_DLQ_URL: "http://sqs.us-east-1.localhost:4566/000000000000/jobs-dlq",
    };
    rejects(emulated, "JOBS_QUEUE_URL", /expected https/);
    assert.equal(loadAwsJobsConfig({ ...emulated, AWS_ENDPOINT_URL_SQS: "http://127.0.0.1:4566" }).region, "us-east-1");
  });

  it("refuses table names DynamoDB refuses", () => {
    for (const bad of ["ab", "jobs table", "jobs/prod", "x".repeat(256)]) {
      rejects({ ...GOOD, JOBS_TABLE: bad }, "JOBS_TABLE", /3 to 255/);
    }
  });

  it("refuses bucket names S3 refuses, saying which rule", () => {
    for (const [bad, rule] of [
      ["ab", /3 to 63/],
      ["Fleet-Results", /lowercase/],
      ["fleet_results", /lowercase/],
      ["-fleet", /beginning and ending/],
      ["fleet..results", /adjacent dots/],
      ["192.168.5.4", /IP address/],
      ["xn--fleet", /reserved prefix/],
      ["fleet-s3alias", /reserved suffix/],
    ] as const) {
      rejects({ ...GOOD, JOBS_RESULTS_BUCKET: bad }, "JOBS_RESULTS_BUCKET", rule);
    }
    assert.equal(bucketNameProblem("fleet.prod-results.1"), undefined);
  });

  it("requires an https base URL without query or fragment", () => {
    for (const bad of [
      "d111.cloudfront.net",
      "http://d111.cloudfront.net",
      "https://d111.cloudfront.net/?a=1",
      "https://x/#f",
    ]) {
      rejects({ ...GOOD, JOBS_RESULTS_BASE_URL: bad }, "JOBS_RESULTS_BASE_URL", /https URL/);
    }
  });

  it("refuses a malformed AWS_REGION", () => {
    rejects({ ...GOOD, AWS_REGION: "Ireland" }, "AWS_REGION", /eu-west-1/);
  });
});
