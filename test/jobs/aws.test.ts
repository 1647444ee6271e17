/**
 * The AWS backend over the real AWS protocol: the contract suite, then what only the AWS backend has,
 * against fauxqs (SQS + S3) and dynalite (DynamoDB) started on 127.0.0.1 and stopped afterwards.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import net from "node:net";
import { DynamoDBClient, PutItemCommand, ScanCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { AWS_JOBS_ENV, AWS_RESULTS_KEY_PREFIX } from "../../service/jobs/aws-env";
import { AwsJobBackend } from "../../service/jobs/aws/backend";
import { loadAwsJobsConfig } from "../../service/jobs/aws/config";
import { MESSAGE_RESEND_S, RUNNING_SWEEP_GRACE_MS } from "../../service/jobs/aws/sweep";
import { UNSENT_JOB_SWEEP_S } from "../../service/jobs/timing";
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

  describeBackendContract("aws", async ({ maxAttempts, clock, retentionS }) => {
    return new AwsJobBackend({
      config: loadAwsJobsConfig(await resources(maxAttempts)),
      maxAttempts,
      clock,
      retentionS,
    });
  });

  async function dropAllMessages(queueUrl: string): Promise<void> {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    for (const m of out.Messages ?? []) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }

  async function eventuallyCounts(
    queueUrl: string,
    expected: { visible: number; inFlight: number },
    between: () => Promise<unknown> = async () => {},
  ): Promise<void> {
    const deadline = Date.now() + 8_000;
    for (;;) {
      await between();
      const counts = await queueCounts(queueUrl);
      if (counts.visible === expected.visible && counts.inFlight === expected.inFlight) return;
      if (Date.now() > deadline) assert.deepEqual(counts, expected);
      await sleep(100);
    }
  }

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
    it("accepts a job whose message cannot be sent, and the sweeper sends it: recorded means it runs", async () => {
      const env = await resources(3);
      const broken = backend({ ...env, [AWS_JOBS_ENV.queueUrl]: env[AWS_JOBS_ENV.queueUrl] + "-missing" }, 3);
      const request = { kind: "sum", input: { n: 1 }, idempotencyKey: "k-send", fingerprint: "f" };
      const { job, created } = await broken.enqueue(request);
      assert.equal(created, true);
      assert.equal((await broken.get(job.id))!.status, "queued", "a recorded job was given up");
      assert.ok(
        warnings.some((w) => /sweeper will/.test(w)),
        warnings.join("; "),
      );

      let nowMs = Date.now();
      const working = new AwsJobBackend({ config: loadAwsJobsConfig(env), maxAttempts: 3, clock: () => nowMs });
      open.push(working);
      const again = await working.enqueue(request);
      assert.deepEqual([again.created, again.job.id], [false, job.id], "the retry made a second job");
      assert.deepEqual(await working.claim({ max: 1, leaseMs: 30_000, waitMs: 1_200 }), [], "a message appeared");
      assert.deepEqual(await working.sweep(), [], "swept while its enqueue might still be sending");
      nowMs += (UNSENT_JOB_SWEEP_S + 1) * 1000;
      assert.deepEqual(await working.sweep(), [job.id]);
      assert.deepEqual(await working.sweep(), [], "sent twice");
      const [lease] = await working.claim({ max: 1, leaseMs: 30_000, waitMs: 5_000 });
      assert.equal(lease?.job.id, job.id);
    });

    it("sends a job whose writer died between the write and the send (the send never happened)", async () => {
      const env = await resources(3);
      let nowMs = Date.now();
      const dying = new AwsJobBackend({ config: loadAwsJobsConfig(env), maxAttempts: 3, clock: () => nowMs });
      // The process dies in the send: nothing after the job write runs (and its clients are never closed).
      const queue = (dying as unknown as { queue: { send: (id: string) => Promise<void> } }).queue;
      queue.send = () => new Promise<void>(() => {});
      void dying.enqueue({ kind: "sum", input: { n: 1 } });
      const deadline = Date.now() + 10_000;
      let id: string | undefined;
      while (!id && Date.now() < deadline) {
        const scan = await ddb.send(new ScanCommand({ TableName: env[AWS_JOBS_ENV.table] }));
        id = scan.Items?.[0]?.id?.S;
        if (!id) await sleep(50);
      }
      assert.ok(id, "the job was never written");
      const sweeper = new AwsJobBackend({ config: loadAwsJobsConfig(env), maxAttempts: 3, clock: () => nowMs });
      open.push(sweeper);
      assert.deepEqual(await sweeper.claim({ max: 1, leaseMs: 30_000, waitMs: 1_200 }), []);
      nowMs += (UNSENT_JOB_SWEEP_S + 1) * 1000;
      assert.deepEqual(await sweeper.sweep(), [id]);
      const [lease] = await sweeper.claim({ max: 1, leaseMs: 30_000, waitMs: 5_000 });
      assert.equal(lease?.job.id, id);
    });

    it("answers a retry with the same job when the send errored after SQS took it and a worker runs it", async () => {
      const env = await resources(3);
      const b = backend(env, 3);
      const worker = backend(env, 3);
      const queue = (b as unknown as { queue: { send: (id: string, delayS?: number) => Promise<void> } }).queue;
      const send = queue.send.bind(queue);
      let claimed: Awaited<ReturnType<typeof worker.claim>> = [];
      queue.send = async (id, delayS) => {
        await send(id, delayS);
        claimed = await worker.claim({ max: 1, leaseMs: 30_000, waitMs: 5_000 });
        throw Object.assign(new Error("socket hang up after the request was sent"), { name: "TimeoutError" });
      };
      const request = { kind: "sum", input: { n: 1 }, idempotencyKey: "k-twice", fingerprint: "f" };
      const first = await b.enqueue(request).catch(() => undefined);
      assert.equal(claimed.length, 1, "the worker did not get the job");
      const retry = await backend(env, 3).enqueue(request);
      assert.equal(retry.created, false, "the retry created a second job while the first runs");
      assert.equal(retry.job.id, claimed[0]!.job.id);
      if (first) assert.equal(first.job.id, retry.job.id);
    });

    it("gives up a stalled call within the bounded SDK timeouts instead of hanging past the unit's stop", async function () {
      this.timeout(20_000);
      const env = await resources(3);
      const hole = net.createServer(() => {}); // accepts, never answers
      await new Promise<void>((resolve) => hole.listen(0, "127.0.0.1", resolve));
      const previous = process.env.AWS_ENDPOINT_URL_SQS;
      process.env.AWS_ENDPOINT_URL_SQS = `http://127.0.0.1:${(hole.address() as net.AddressInfo).port}`;
      try {
        const b = new AwsJobBackend({
          config: loadAwsJobsConfig(env),
          maxAttempts: 3,
          warn: (_err, msg) => warnings.push(msg),
          sdkTimeouts: { connectionTimeoutMs: 500, requestTimeoutMs: 500 },
        });
        open.push(b);
        const enqueued = b.enqueue({ kind: "sum", input: { n: 1 } });
        // Bounded here too, so a hanging send cannot leave the environment pointing at the hole.
        const outcome = await Promise.race([enqueued, sleep(8_000).then(() => "still waiting" as const)]);
        process.env.AWS_ENDPOINT_URL_SQS = previous;
        assert.notEqual(outcome, "still waiting", "the stalled send was still waiting after 8 s");
        const { job } = outcome as Awaited<typeof enqueued>;
        assert.equal((await b.get(job.id))!.status, "queued", "the recorded job was lost with its send");
      } finally {
        process.env.AWS_ENDPOINT_URL_SQS = previous;
        hole.close();
      }
    });

    it("keeps no failed job in the DLQ: its id is sent as a signal and deleted once the table has it", async () => {
      const env = await resources(1);
      const b = backend(env, 1);
      await b.enqueue({ kind: "sum", input: { n: 1 } });
      const [lease] = await b.claim({ max: 1, leaseMs: 30_000, waitMs: 5_000 });
      assert.equal(await b.fail(lease!, "boom", { permanent: false, retryDelayMs: 0 }), "failed");
      // Claims that find nothing reconcile the DLQ.
      await eventuallyCounts(env[AWS_JOBS_ENV.deadLetterQueueUrl]!, { visible: 0, inFlight: 0 }, () =>
        b.claim({ max: 1, leaseMs: 30_000, waitMs: 0 }),
      );
      assert.deepEqual(await queueCounts(env[AWS_JOBS_ENV.queueUrl]!), { visible: 0, inFlight: 0 });
      assert.deepEqual(
        (await b.listDead(10)).map((j) => j.error),
        ["boom"],
        "the table holds the dead letter",
      );
    });

    it("re-sends a queued job before SQS's retention drops its message, and a long-dead lease's job", async () => {
      const env = await resources(3);
      let nowMs = Date.now();
      const b = new AwsJobBackend({ config: loadAwsJobsConfig(env), maxAttempts: 3, clock: () => nowMs });
      open.push(b);
      const { job } = await b.enqueue({ kind: "sum", input: { n: 1 } });
      // SQS drops the message at its retention (4 days): here, by receiving and deleting it.
      await dropAllMessages(env[AWS_JOBS_ENV.queueUrl]!);
      nowMs += (MESSAGE_RESEND_S - 60) * 1000;
      assert.deepEqual(await b.sweep(), [], "re-sent while its message was still in SQS");
      nowMs += 120_000;
      assert.deepEqual(await b.sweep(), [job.id]);
      const [lease] = await b.claim({ max: 1, leaseMs: 60_000, waitMs: 5_000 });
      assert.equal(lease?.job.id, job.id);

      // The worker dies and the message is lost too: the table still says running.
      await dropAllMessages(env[AWS_JOBS_ENV.queueUrl]!);
      nowMs += 60_000 + RUNNING_SWEEP_GRACE_MS - 10_000;
      assert.deepEqual(await b.sweep(), [], "re-sent within the grace after the lease");
      nowMs += 20_000;
      assert.deepEqual(await b.sweep(), [job.id]);
      const [again] = await b.claim({ max: 1, leaseMs: 60_000, waitMs: 5_000 });
      assert.deepEqual([again?.job.id, again?.attempt], [job.id, 2]);
    });

    it("never sends again a job a worker holds, even when its sweep time has come (guarded write)", async () => {
      const env = await resources(3);
      let nowMs = Date.now();
      const b = new AwsJobBackend({ config: loadAwsJobsConfig(env), maxAttempts: 3, clock: () => nowMs });
      open.push(b);
      const { job } = await b.enqueue({ kind: "sum", input: { n: 1 } });
      const [lease] = await b.claim({ max: 1, leaseMs: 3_600_000, waitMs: 5_000 });
      assert.ok(lease);
      await ddb.send(
        new UpdateItemCommand({
          TableName: env[AWS_JOBS_ENV.table],
          Key: { id: { S: job.id } },
          UpdateExpression: "SET sweepAt = :zero",
          ExpressionAttributeValues: { ":zero": { N: "0" } },
        }),
      );
      nowMs += 60_000;
      assert.deepEqual(await b.sweep(), []);
      assert.deepEqual(await queueCounts(env[AWS_JOBS_ENV.queueUrl]!), { visible: 0, inFlight: 1 });
    });

    it("redrives a dead letter whose send fails: queued, and the sweeper sends it", async () => {
      const env = await resources(1);
      let nowMs = Date.now();
      const b = new AwsJobBackend({ config: loadAwsJobsConfig(env), maxAttempts: 1, clock: () => nowMs });
      open.push(b);
      const { job } = await b.enqueue({ kind: "sum", input: { n: 1 } });
      const [lease] = await b.claim({ max: 1, leaseMs: 30_000, waitMs: 5_000 });
      assert.equal(await b.fail(lease!, "boom", { permanent: true, retryDelayMs: 0 }), "failed");
      const broken = backend({ ...env, [AWS_JOBS_ENV.queueUrl]: env[AWS_JOBS_ENV.queueUrl] + "-missing" }, 1);
      assert.equal((await broken.retryDead(job.id)).status, "queued");
      assert.equal((await b.get(job.id))!.status, "queued", "the redrive was undone");
      nowMs += (UNSENT_JOB_SWEEP_S + 1) * 1000;
      assert.deepEqual(await b.sweep(), [job.id]);
      const [again] = await b.claim({ max: 1, leaseMs: 30_000, waitMs: 5_000 });
      assert.equal(again?.job.id, job.id);
    });

    it("writes a result with an absolute Expires at its retention, never a year-long max-age", async () => {
      const env = await resources(3);
      const nowMs = Date.parse("2026-12-03T12:00:00Z");
      const b = new AwsJobBackend({
        config: loadAwsJobsConfig(env),
        maxAttempts: 3,
        clock: () => nowMs,
        retentionS: 3 * 86_400,
      });
      open.push(b);
      // The emulator does not keep Expires: the headers the PutObject request carries to S3 are checked.
      const sent: Record<string, string>[] = [];
      const client = (b as unknown as { s3: S3Client }).s3;
      client.middlewareStack.add(
        (next) => async (args) => {
          sent.push({ ...(args.request as { headers: Record<string, string> }).headers });
          return next(args);
        },
        { step: "finalizeRequest" },
      );
      await b.results.put("jobs/exp/out.png", Buffer.from([1]), "image/png");
      assert.equal(sent.length, 1);
      assert.equal(sent[0]!["cache-control"], undefined, `Cache-Control ${sent[0]!["cache-control"]}`);
      assert.equal(new Date(sent[0]!.expires!).toISOString(), "2026-12-06T12:00:00.000Z");
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
