/**
 * The environment through which the infra tells a process where its AWS job resources are. The Pulumi
 * program writes these names into the systemd units' environment file; the AWS backend reads them. One
 * list, so the two cannot drift apart.
 */
export const AWS_JOBS_ENV = {
  /** SQS queue URL of the jobs queue. */
  queueUrl: "JOBS_QUEUE_URL",
  /** SQS queue URL of its dead-letter queue. */
  deadLetterQueueUrl: "JOBS_DLQ_URL",
  /** DynamoDB table name of the job records. */
  table: "JOBS_TABLE",
  /** S3 bucket name of the results. */
  resultsBucket: "JOBS_RESULTS_BUCKET",
  /** Base URL of the results as clients fetch them (the CloudFront distribution, https://d….cloudfront.net). */
  resultsBaseUrl: "JOBS_RESULTS_BASE_URL",
} as const;

/**
 * Every result object's key starts with this: the worker may put objects under it and nowhere else in the
 * bucket (IAM), and the CDN serves it; a result's URL is `${JOBS_RESULTS_BASE_URL}/${key}`.
 */
export const AWS_RESULTS_KEY_PREFIX = "results/";

/**
 * What a worker instance is told about its own Auto Scaling Group, so it can protect itself from scale-in
 * while busy (SetInstanceProtection needs the group's name) and so the drain can complete the termination
 * lifecycle hook. Written for the worker role only.
 */
export const AWS_WORKER_ENV = {
  /** Name of the worker fleet's Auto Scaling Group. */
  autoScalingGroup: "FLEET_WORKER_GROUP",
  /** Name of the group's termination lifecycle hook. */
  lifecycleHook: "FLEET_WORKER_LIFECYCLE_HOOK",
} as const;
