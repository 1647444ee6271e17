/**
 * The AWS job resources on loopback: fauxqs (SQS + S3) and dynalite (DynamoDB) on 127.0.0.1, port 0, and
 * a helper that creates a queue + DLQ (redrive), a table (from the schema the infra uses) and a bucket,
 * returning the environment the infra would write for the units. The tests and the chaos run use it; the
 * backend itself reaches the emulators only through the SDK's standard AWS_ENDPOINT_URL_* variables.
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import dynalite from "dynalite";
import { AWS_JOBS_ENV } from "../service/jobs/aws-env";
import { createTableInput } from "../service/jobs/aws/table-schema";

export const EMULATOR_REGION = "us-east-1";

export interface ResourceOptions {
  maxAttempts: number;
  /** The redrive's; default maxAttempts, as the infra sets it. */
  maxReceiveCount?: number;
  queueVisibilityS?: number;
}

export interface Emulators {
  /** AWS_ENDPOINT_URL_*, dummy credentials and the region: what a process needs to reach the emulators. */
  env: Record<string, string>;
  /** Creates a fresh queue + DLQ, table and bucket; returns the units' environment for them. */
  resources(options: ResourceOptions): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

export async function startEmulators(): Promise<Emulators> {
  // fauxqs is ESM-only; this file is CommonJS, so it comes in through a dynamic import.
  const { startFauxqs } = await import("fauxqs");
  const fauxqs = await startFauxqs({ port: 0, host: "localhost", logger: false });
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => dynamo.listen(0, "127.0.0.1", () => resolve()));
  const dynamoUrl = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
  const env = {
    AWS_ENDPOINT_URL_SQS: fauxqs.address,
    AWS_ENDPOINT_URL_S3: fauxqs.address,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
    AWS_ACCESS_KEY_ID: "emulator",
    AWS_SECRET_ACCESS_KEY: "emulator",
    AWS_REGION: EMULATOR_REGION,
  };
  const clientConfig = { region: EMULATOR_REGION, credentials: { accessKeyId: "emulator", secretAccessKey: "x" } };
  const sqs = new SQSClient({ ...clientConfig, endpoint: fauxqs.address, useQueueUrlAsEndpoint: false });
  const ddb = new DynamoDBClient({ ...clientConfig, endpoint: dynamoUrl });
  const s3 = new S3Client({ ...clientConfig, endpoint: fauxqs.address, forcePathStyle: true });

  async function resources(options: ResourceOptions) {
    const name = `jobs-${randomBytes(4).toString("hex")}`;
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
    const dlqArn = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          VisibilityTimeout: String(options.queueVisibilityS ?? 30),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlqArn.Attributes!.QueueArn,
            maxReceiveCount: options.maxReceiveCount ?? options.maxAttempts,
          }),
        },
      }),
    );
    await ddb.send(new CreateTableCommand(createTableInput(name)));
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    return {
      [AWS_JOBS_ENV.queueUrl]: queue.QueueUrl!,
      [AWS_JOBS_ENV.deadLetterQueueUrl]: dlq.QueueUrl!,
      [AWS_JOBS_ENV.table]: name,
      [AWS_JOBS_ENV.resultsBucket]: name,
      [AWS_JOBS_ENV.resultsBaseUrl]: "https://results.example.test",
    };
  }

  return {
    env,
    resources,
    async stop() {
      sqs.destroy();
      ddb.destroy();
      s3.destroy();
      await fauxqs.stop();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    },
  };
}

/** Sets `vars` in process.env; the returned function puts the previous values back. */
export function withEnv(vars: Record<string, string>): () => void {
  const previous = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(previous)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
