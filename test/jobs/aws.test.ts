/**
 * The AWS backend over the real AWS protocol: the contract suite, then what only the AWS backend has,
 * against fauxqs (SQS + S3) and dynalite (DynamoDB) started on 127.0.0.1 and stopped afterwards.
 */
import { loadAwsJobsConfig } from "../../service/jobs/aws/config";
import { AwsJobBackend } from "../../service/jobs/aws/backend";
import { describeBackendContract } from "./backend-contract";
import { startEmulators, withEnv, type Emulators } from "./aws-emulators";

describe("aws job backend (fauxqs + dynalite)", function () {
  this.timeout(60_000);
  let emulators: Emulators;
  let restoreEnv: () => void;
  before(async () => {
    emulators = await startEmulators();
    restoreEnv = withEnv(emulators.env);
  });
  after(async () => {
    restoreEnv?.();
    await emulators?.stop();
  });

  async function open(maxAttempts: number) {
    const env = { ...emulators.env, ...(await emulators.resources({ maxAttempts })) };
    return new AwsJobBackend({ config: loadAwsJobsConfig(env), maxAttempts });
  }

  describeBackendContract("aws", ({ maxAttempts }) => open(maxAttempts));
});
