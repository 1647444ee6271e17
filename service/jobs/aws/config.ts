/**
 * The AWS backend's settings: every name in `AWS_JOBS_ENV` is required when JOBS_BACKEND=aws, and each is
 * checked for the shape AWS would accept before any client is built, so a typo in the infra's environment
 * file exits 1 naming the variable instead of failing on the first job.
 */
import { ConfigError, type Env } from "../../config";
import { AWS_JOBS_ENV } from "../aws-env";

export interface AwsJobsConfig {
  queueUrl: string;
  deadLetterQueueUrl: string;
  table: string;
  resultsBucket: string;
  /** No trailing slash: a result's URL is `${resultsBaseUrl}/${key}`. */
  resultsBaseUrl: string;
  /** From AWS_REGION, else the queue URL's `sqs.<region>.` host. */
  region: string;
  /** True while AWS_ENDPOINT_URL_S3 points at an emulator, whose buckets are paths, not host names. */
  s3ForcePathStyle: boolean;
}

/**
 * `https://sqs.<region>.amazonaws.com/<12-digit account>/<name>` (the form CreateQueue returns); an emulator's
 * `http://sqs.<region>.localhost:<port>/…` is accepted only while AWS_ENDPOINT_URL_SQS points the SDK at it.
 */
const QUEUE_URL = /^(https?):\/\/sqs\.([a-z]{2}(?:-[a-z]+)+-\d)\.([^/]+)\/(\d{12})\/([A-Za-z0-9_-]{1,80}(?:\.fifo)?)$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;

function required(env: Env, name: string, what: string): string {
  const value = env[name]?.trim();
  if (!value) {
    throw new ConfigError(
      `${name} is not set: JOBS_BACKEND=aws needs ${what} (the infra writes it into the units' environment)`,
    );
  }
  return value;
}

function queueUrl(env: Env, name: string): { url: string; region: string } {
  const url = required(env, name, "the SQS queue URL");
  const match = QUEUE_URL.exec(url);
  const emulated = Boolean(env.AWS_ENDPOINT_URL_SQS?.trim());
  if (!match || (match[1] === "http" && !emulated) || (!emulated && !/^amazonaws\.com(\.cn)?$/.test(match[3]!))) {
    throw new ConfigError(
      `${name}=${JSON.stringify(url)} is invalid: expected https://sqs.<region>.amazonaws.com/<12-digit account>/<queue name>`,
    );
  }
  if (match[5]!.endsWith(".fifo")) {
    throw new ConfigError(
      `${name}=${JSON.stringify(url)} is a FIFO queue: the jobs queue must be a standard queue (FIFO serialises independent jobs)`,
    );
  }
  return { url, region: match[2]! };
}

/** S3's bucket naming rules for general purpose buckets (docs: "Bucket naming rules"). */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return "3 to 63 characters";
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return "lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit";
  }
  if (name.includes("..")) return "no two adjacent dots";
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return "not an IP address";
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return "not the reserved prefixes xn--, sthree-, amzn-s3-demo-";
  if (/(-s3alias|--ol-s3|--x-s3|--table-s3)$/.test(name)) return "not a reserved suffix such as -s3alias";
  return undefined;
}

function baseUrl(env: Env, name: string): string {
  const raw = required(env, name, "the results' public base URL (the CloudFront distribution)");
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== "https:" || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(
      `${name}=${JSON.stringify(raw)} is invalid: expected an https URL without query or fragment, such as https://d111111abcdef8.cloudfront.net`,
    );
  }
  return url.toString().replace(/\/+$/, "");
}

export function loadAwsJobsConfig(env: Env = process.env): AwsJobsConfig {
  const queue = queueUrl(env, AWS_JOBS_ENV.queueUrl);
  const dlq = queueUrl(env, AWS_JOBS_ENV.deadLetterQueueUrl);
  if (dlq.url === queue.url) {
    throw new ConfigError(
      `${AWS_JOBS_ENV.deadLetterQueueUrl} equals ${AWS_JOBS_ENV.queueUrl}: the dead letters need a queue of their own`,
    );
  }
  const table = required(env, AWS_JOBS_ENV.table, "the DynamoDB table name of the jobs");
  if (!TABLE_NAME.test(table)) {
    throw new ConfigError(
      `${AWS_JOBS_ENV.table}=${JSON.stringify(table)} is invalid: expected 3 to 255 letters, digits, _ . or -`,
    );
  }
  const bucket = required(env, AWS_JOBS_ENV.resultsBucket, "the S3 bucket name of the results");
  const problem = bucketNameProblem(bucket);
  if (problem) {
    throw new ConfigError(
      `${AWS_JOBS_ENV.resultsBucket}=${JSON.stringify(bucket)} is not a valid S3 bucket name: expected ${problem}`,
    );
  }
  const region = env.AWS_REGION?.trim() || queue.region;
  if (!REGION.test(region)) {
    throw new ConfigError(
      `AWS_REGION=${JSON.stringify(env.AWS_REGION)} is invalid: expected a region such as eu-west-1`,
    );
  }
  return {
    queueUrl: queue.url,
    deadLetterQueueUrl: dlq.url,
    table,
    resultsBucket: bucket,
    resultsBaseUrl: baseUrl(env, AWS_JOBS_ENV.resultsBaseUrl),
    region,
    s3ForcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3?.trim()),
  };
}
