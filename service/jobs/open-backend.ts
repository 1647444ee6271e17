/**
 * The one place that turns JOBS_BACKEND into a JobBackend, for the web tier, the worker and
 * `npm run jobs` alike, so they cannot open different queues. `env` is passed on because a backend may
 * read more of it than JobsConfig holds (the AWS one: its queue, table and bucket, service/jobs/aws-env.ts).
 * Throws ConfigError for a bad setting.
 */
import { type Env } from "../config";
import { AwsJobBackend } from "./aws/backend";
import { loadAwsJobsConfig } from "./aws/config";
import type { JobBackend } from "./backend";
import { loadJobsConfig, type JobsConfig } from "./config";
import { openSqliteBackend } from "./sqlite/backend";

export async function openBackend(
  env: Env = process.env,
  config: JobsConfig = loadJobsConfig(env),
): Promise<JobBackend> {
  switch (config.backend) {
    case "sqlite":
      return openSqliteBackend({
        file: config.dbFile,
        resultsDir: config.resultsDir,
        maxAttempts: config.maxAttempts,
        retentionS: config.retentionS,
      });
    case "aws":
      return new AwsJobBackend({
        config: loadAwsJobsConfig(env),
        maxAttempts: config.maxAttempts,
        retentionS: config.retentionS,
      });
  }
}
