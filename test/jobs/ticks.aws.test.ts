/**
 * Periodic jobs on the AWS backend, over the real protocol (fauxqs + dynalite on 127.0.0.1): the local
 * ticker in two workers, and EventBridge Scheduler's tick messages (as infra/jobs/jobSchedules.ts has
 * Scheduler send them, delivered twice as Scheduler may) received by two workers: one job per tick.
 */
import assert from "node:assert/strict";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { AwsJobBackend } from "../../service/jobs/aws/backend";
import { loadAwsJobsConfig } from "../../service/jobs/aws/config";
import { AWS_JOBS_ENV } from "../../service/jobs/aws-env";
import type { Lease } from "../../service/jobs/backend";
import { parseSchedules } from "../../service/jobs/schedules";
import { ScheduleTicker } from "../../service/jobs/ticker";
import { SCHEDULED_TIME_PLACEHOLDER, tickMessageBody } from "../../service/jobs/ticks";
import { EMULATOR_REGION, startEmulators, withEnv, type Emulators } from "../../bench/aws-emulators";

const MINUTE = 60_000;
const quiet = { info() {}, warn() {} };
const [schedule] = parseSchedules(
  [{ name: "often", schedule: "rate(1 minute)", kind: "sum", input: { n: 3 } }],
  "test",
) as [ReturnType<typeof parseSchedules>[number]];

describe("periodic jobs on the aws backend (fauxqs + dynalite)", function () {
  this.timeout(60_000);
  let emulators: Emulators;
  let restoreEnv: () => void;
  let sqs: SQSClient;
  const open: AwsJobBackend[] = [];
  const warnings: string[] = [];
  const clock = { ms: Date.parse("2026-12-03T10:00:30Z") };
  before(async () => {
    emulators = await startEmulators();
    restoreEnv = withEnv(emulators.env);
    sqs = new SQSClient({ region: EMULATOR_REGION, useQueueUrlAsEndpoint: false });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });
  after(async () => {
    sqs?.destroy();
    restoreEnv?.();
    await emulators?.stop();
  });

  /** Two workers' backends over one fresh table and queue. */
  async function twoWorkers(): Promise<{ env: Record<string, string>; workers: [AwsJobBackend, AwsJobBackend] }> {
    const env = { ...emulators.env, ...(await emulators.resources({ maxAttempts: 3 })) };
    const make = () => {
      const b = new AwsJobBackend({
        config: loadAwsJobsConfig(env),
        maxAttempts: 3,
        clock: () => clock.ms,
        warn: (_err, msg) => warnings.push(msg),
      });
      open.push(b);
      return b;
    };
    return { env, workers: [make(), make()] };
  }

  /** What Scheduler puts on the queue at a tick: the target's Input with its placeholder replaced. */
  async function schedulerSends(queueUrl: string, tickIso: string, body = tickMessageBody(schedule)) {
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body.replace(SCHEDULED_TIME_PLACEHOLDER, tickIso) }),
    );
  }

  /** Both workers claim until the queue is empty; the leases they got. */
  async function drain(workers: AwsJobBackend[], queueUrl: string): Promise<Lease[]> {
    const leases: Lease[] = [];
    for (let round = 0; round < 20; round++) {
      const got = await Promise.all(workers.map((w) => w.claim({ max: 10, leaseMs: 60_000, waitMs: 1_000 })));
      leases.push(...got.flat());
      const out = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        }),
      );
      const visible = Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
      const hidden = Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
      if (visible === 0 && hidden === leases.length) return leases;
    }
    return leases;
  }

  it("two workers' local tickers enqueue one job per tick", async () => {
    const { workers } = await twoWorkers();
    const [a, b] = workers.map(
      (backend) =>
        new ScheduleTicker({
          backend,
          schedules: [schedule],
          log: quiet,
          now: () => clock.ms,
          catchUpWindowMs: 86_400_000,
        }),
    ) as [ScheduleTicker, ScheduleTicker];
    await Promise.all([a.init(), b.init()]);
    const start = clock.ms;
    for (let i = 0; i < 3; i++) {
      clock.ms += MINUTE;
      await Promise.all([a.runDue(), b.runDue()]);
    }
    clock.ms = start;
    const jobs = await workers[0].list({ schedule: "often", limit: 10 });
    assert.deepEqual(
      jobs.map((j) => j.schedule?.tick),
      ["10:03", "10:02", "10:01"].map((hm) => `2026-12-03T${hm}:00.000Z`),
    );
  });

  it("Scheduler's tick, delivered twice and received by two workers, is recorded as one job, then runs once", async () => {
    const { env, workers } = await twoWorkers();
    const queueUrl = env[AWS_JOBS_ENV.queueUrl]!;
    await schedulerSends(queueUrl, "2026-12-03T10:00:00Z");
    await schedulerSends(queueUrl, "2026-12-03T10:00:00Z");
    const leases = await drain(workers, queueUrl);
    const jobs = await workers[1].list({ schedule: "often", limit: 10 });
    assert.equal(jobs.length, 1, "one job in the table for the tick");
    assert.deepEqual(jobs[0]!.schedule, { name: "often", tick: "2026-12-03T10:00:00.000Z" });
    assert.deepEqual(jobs[0]!.input, { n: 3 });
    assert.equal(leases.length, 1, "and it is claimed once");
    assert.equal(leases[0]!.job.id, jobs[0]!.id);
    assert.equal(
      (await workers[0].findByKey("schedule:often:2026-12-03T10:00:00.000Z", "schedule:often"))?.id,
      jobs[0]!.id,
    );
  });

  it("ticks SQS held while no worker ran become one job: the latest", async () => {
    const { env, workers } = await twoWorkers();
    const queueUrl = env[AWS_JOBS_ENV.queueUrl]!;
    // The workers come back at 10:00:30; Scheduler sent 09:58, 09:59 and 10:00 meanwhile.
    for (const tick of ["09:58", "09:59", "10:00"]) await schedulerSends(queueUrl, `2026-12-03T${tick}:00Z`);
    await drain(workers, queueUrl);
    const jobs = await workers[0].list({ schedule: "often", limit: 10 });
    assert.deepEqual(
      jobs.map((j) => j.schedule?.tick),
      ["2026-12-03T10:00:00.000Z"],
    );
  });

  it("deletes a tick message whose schedule is no longer valid (a kind removed), with a warning", async () => {
    const { env, workers } = await twoWorkers();
    const queueUrl = env[AWS_JOBS_ENV.queueUrl]!;
    const body = tickMessageBody(schedule).replace('"kind":"sum"', '"kind":"gone"');
    await schedulerSends(queueUrl, "2026-12-03T10:00:00Z", body);
    warnings.length = 0;
    await drain(workers, queueUrl);
    assert.equal((await workers[0].list({ limit: 10 })).length, 0);
    assert.ok(warnings.includes("deleting a tick message that is not valid"), warnings.join("; "));
  });
});
