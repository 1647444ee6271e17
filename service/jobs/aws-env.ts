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
