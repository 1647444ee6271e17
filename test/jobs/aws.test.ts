/**
 * The AWS backend over the real AWS protocol: the contract suite, then what only the AWS backend has,
 * against fauxqs (SQS + S3) and dynalite (DynamoDB) started on 127.0.0.1 and stopped afterwards.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { AWS_JOBS_ENV, AWS_RESULTS_KEY_PREFIX } from "../../service/jobs/aws-env";
import { AwsJobBackend } from "../../service/jobs/aws/backend";
import { loadAwsJobsConfig } from "../../service/jobs/aws/config";
import { describeBackendContract } from "./backend-contract";
import { EMULATOR_REGION, startEmulators, withEnv, type Emulators } from "../../bench/aws-emulators";

describe("aws job backend (fauxqs + dynalite)", function () {
  this.timeout(60_000);
  let emulators: Emulators;
  let restoreEnv: () => void;
  let sqs: SQSClient;
  let ddb: DynamoDBClient;
  let s3: S3Client;
  const open: AwsJobBackend[] = [];
  const warnings: string[] = [];
  before(async () => {
    emulators = await startEmulators();
    restoreEnv = withEnv(emulators.env);
    sqs = new SQSClient({ region: EMULATOR_REGION, useQueueUrlAsEndpoint: false });
    ddb = new DynamoDBClient({ region: EMULATOR_REGION });
    s3 = new S3Client({ region: EMULATOR_REGION, forcePathStyle: true });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });
  after(async () => {
    sqs?.destroy();
    ddb?.destroy();
    s3?.destroy();
    restoreEnv?.();
    await emulators?.stop();
  });

  async function resources(maxAttempts: number) {
    return { ...emulators.env, ...(await emulators.resources({ maxAttempts })) };
  }

  function backend(env: Record<string, string>, maxAttempts: number): AwsJobBackend {
    const b = new AwsJobBackend({
      config: loadAwsJobsConfig(env),
      maxAttempts,
      warn: (_err, msg) => warnings.push(msg),
    });
    open.push(b);
    return b;
  }

  describeBackendContract("aws", async ({ maxAttempts }) => {
    return new AwsJobBackend({ config: loadAwsJobsConfig(await resources(maxAttempts)), maxAttempts });
  });

  async function queueCounts(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return {
      visible: Number(out.Attributes!.ApproximateNumberOfMessages),
      inFlight: Number(out.Attributes!.ApproximateNumberOfMessagesNotVisible),
    };
  }

  describe("what only the AWS backend does", () => {
    it("ends a job failed with the error, and frees its key, when its message cannot be sent", async () => {
      const env = await resources(3);
      const broken = backend({ ...env, [AWS_JOBS_ENV.queueUrl]: env[AWS_JOBS_ENV.queueUrl] + "-missing" }, 3);
      const request = { kind: "sum", input: { n: 1 }, idempotencyKey: "k-send", fingerprint: "f" };
      await assert.rejects(broken.enqueue(request), /queue/i);
      const [dead, ...others] = await broken.listDead(10);
      assert.equal(others.length, 0);
      assert.equal(dead!.status, "failed");
      assert.match(dead!.error ?? "", /^could not enqueue: /);

      const working = backend(env, 3);
      const again = await working.enqueue(request);
      assert.equal(again.created, true, "the key still pointed at the job that never reached the queue");
      assert.notEqual(again.job.id, dead!.id);
      assert.equal(again.job.status, "queued");
      assert.equal(await working.backlog(), 1);
    });

    it("records a dead job's id in the DLQ, and deletes its message from the queue", async () => {
      const env = await resources(1);
      const b = backend(env, 1);
      const { job } = await b.enqueue({ kind: "sum", input: { n: 1 } });
      const [lease] = await b.claim({ max: 1, leaseMs: 30_000, waitMs: 5_000 });
      assert.equal(await b.fail(lease!, "boom", { permanent: false, retryDelayMs: 0 }), "failed");
      const dlq = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: env[AWS_JOBS_ENV.deadLetterQueueUrl], WaitTimeSeconds: 2 }),
      );
      assert.deepEqual(
        dlq.Messages?.map((m) => m.Body),
        [job.id],
      );
      assert.deepEqual(await queueCounts(env[AWS_JOBS_ENV.queueUrl]!), { visible: 0, inFlight: 0 });
    });

    it("turns away a duplicate delivery of a held job, and the holder still completes it", async () => {
      const env = await resources(3);
      const b = backend(env, 3);
      const { job } = await b.enqueue({ kind: "sum", input: { n: 1 } });
      const [lease] = await b.claim({ max: 1, leaseMs: 30_000, waitMs: 5_000 });
      await sqs.send(new SendMessageCommand({ QueueUrl: env[AWS_JOBS_ENV.queueUrl], MessageBody: job.id }));
      assert.deepEqual(await b.claim({ max: 1, leaseMs: 30_000, waitMs: 1_500 }), []);
      const held = await b.get(job.id);
      assert.equal(held!.status, "running");
      assert.equal(held!.attempts, 1, "the duplicate counted an attempt");
      assert.equal(await b.extendLease(lease!, 30_000), "held");
      assert.equal(await b.complete(lease!, { sum: "1" }), true);
      assert.equal((await b.get(job.id))!.status, "succeeded");
    });

    it("deletes a message whose job is finished or gone when it shows up, instead of hiding it", async () => {
      const env = await resources(3);
      const b = backend(env, 3);
      const { job } = await b.enqueue({ kind: "sum", input: { n: 1 } });
      await b.cancel(job.id);
      for (const body of [randomUUID(), "not a job id"]) {
        await sqs.send(new SendMessageCommand({ QueueUrl: env[AWS_JOBS_ENV.queueUrl], MessageBody: body }));
      }
      assert.deepEqual(await b.claim({ max: 10, leaseMs: 30_000, waitMs: 1_500 }), []);
      assert.deepEqual(await queueCounts(env[AWS_JOBS_ENV.queueUrl]!), { visible: 0, inFlight: 0 });
      assert.ok(warnings.includes("deleting a foreign message"), warnings.join("; "));
    });

    it("makes, for a key whose request died after reserving it, the job it reserved", async () => {
      const env = await resources(3);
      const b = backend(env, 3);
      const reserved = randomUUID();
      await ddb.send(
        new PutItemCommand({
          TableName: env[AWS_JOBS_ENV.table],
          Item: {
            id: { S: "idem#k-crash" },
            jobId: { S: reserved },
            fingerprint: { S: "f" },
            expiresAt: { N: String(Math.floor(Date.now() / 1000) + 3600) },
          },
        }),
      );
      const first = await b.enqueue({ kind: "sum", input: { n: 1 }, idempotencyKey: "k-crash", fingerprint: "f" });
      assert.equal(first.created, true);
      assert.equal(first.job.id, reserved);
      const again = await b.enqueue({ kind: "sum", input: { n: 1 }, idempotencyKey: "k-crash", fingerprint: "f" });
      assert.deepEqual([again.created, again.job.id], [false, reserved]);
      assert.equal(await b.backlog(), 1);
    });

    it("treats a key past its expiry as free while the item lingers (TTL deletes late)", async () => {
      const env = await resources(3);
      const b = backend(env, 3);
      await ddb.send(
        new PutItemCommand({
          TableName: env[AWS_JOBS_ENV.table],
          Item: {
            id: { S: "idem#k-old" },
            jobId: { S: randomUUID() },
            fingerprint: { S: "another body" },
            expiresAt: { N: String(Math.floor(Date.now() / 1000) - 1) },
          },
        }),
      );
      const fresh = await b.enqueue({ kind: "sum", input: { n: 1 }, idempotencyKey: "k-old", fingerprint: "f" });
      assert.equal(fresh.created, true);
      assert.equal(fresh.job.status, "queued");
    });

    it("ends failed a job whose every worker died, though the redrive took the message that would end it", async () => {
      const env = await resources(1); // maxReceiveCount = maxAttempts = 1, as the infra sets it
      const b = backend(env, 1);
      const { job } = await b.enqueue({ kind: "sum", input: { n: 1 } });
      assert.equal((await b.claim({ max: 1, leaseMs: 1_000, waitMs: 5_000 })).length, 1);
      await sleep(2_200);
      // The next receive is redriven to the DLQ; the claim finds it there and reads the table.
      assert.deepEqual(await b.claim({ max: 1, leaseMs: 1_000, waitMs: 1_500 }), []);
      const failed = (await b.get(job.id))!;
      assert.equal(failed.status, "failed");
      assert.match(failed.error ?? "", /lease expired on the last attempt/);
      assert.deepEqual(
        (await b.listDead(10)).map((j) => j.id),
        [job.id],
      );
    });

    it("puts back a job the redrive moved while it had attempts left (receives that started no attempt)", async () => {
      const env = { ...emulators.env, ...(await emulators.resources({ maxAttempts: 3, maxReceiveCount: 1 })) };
      const b = backend(env, 3);
      const { job } = await b.enqueue({ kind: "sum", input: { n: 1 } });
      assert.equal((await b.claim({ max: 1, leaseMs: 1_000, waitMs: 5_000 })).length, 1);
      await sleep(2_200);
      const deadline = Date.now() + 10_000;
      let leases: Awaited<ReturnType<typeof b.claim>> = [];
      while (leases.length === 0 && Date.now() < deadline) {
        leases = await b.claim({ max: 1, leaseMs: 30_000, waitMs: 1_000 });
      }
      assert.deepEqual(
        leases.map((l) => [l.job.id, l.attempt]),
        [[job.id, 2]],
      );
      assert.equal(await b.complete(leases[0]!, { sum: "1" }), true);
    });

    it("stores a result in the bucket below the results prefix, with its CDN url", async () => {
      const env = await resources(3);
      const b = backend(env, 3);
      const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
      await b.results.put("jobs/abc/out.png", png, "image/png");
      const object = await s3.send(
        new GetObjectCommand({
          Bucket: env[AWS_JOBS_ENV.resultsBucket],
          Key: `${AWS_RESULTS_KEY_PREFIX}jobs/abc/out.png`,
        }),
      );
      assert.equal(object.ContentType, "image/png");
      assert.deepEqual(Buffer.from(await object.Body!.transformToByteArray()), png);
      assert.equal(
        b.results.url("jobs/abc/out.png"),
        `https://results.example.test/${AWS_RESULTS_KEY_PREFIX}jobs/abc/out.png`,
      );
    });

    it("is not fooled into reading an idempotency item as a job", async () => {
      const env = await resources(3);
      const b = backend(env, 3);
      await b.enqueue({ kind: "sum", input: { n: 1 }, idempotencyKey: "k-x", fingerprint: "f" });
      assert.equal(await b.get("idem#k-x"), undefined);
      await assert.rejects(b.cancel("idem#k-x"), /no job/);
    });
  });
});
