/**
 * A fleet worker as production runs it (the compiled service, FLEET_ROLE=worker, JOBS_BACKEND=aws) against
 * the emulators and the IMDSv2 / Auto Scaling fakes: it protects its instance while a job runs, and when
 * Auto Scaling marks the instance for termination it lets the job finish, completes the lifecycle action
 * and exits 0. On a Spot interruption notice it hands a job that cannot finish in time back uncounted, and
 * another worker runs it: completed exactly once, nothing lost.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { startEmulators, withEnv, type Emulators } from "../../../bench/aws-emulators";
import { AWS_WORKER_ENV } from "../../../service/jobs/aws-env";
import { AwsJobBackend } from "../../../service/jobs/aws/backend";
import { loadAwsJobsConfig } from "../../../service/jobs/aws/config";
import { expectedSum } from "../../../service/sum";
import { JOB_LOG } from "../../../service/jobs/worker";
import { startFleet, type FleetProcess } from "../../service/fleet-process";
import { startFakeAws, type FakeAws } from "./fake-aws";

describe("fleet worker on AWS (compiled service, emulators, IMDS and Auto Scaling fakes)", function () {
  this.timeout(90_000);
  let emulators: Emulators;
  let fake: FakeAws;
  let restoreEnv: () => void;
  before(async () => {
    emulators = await startEmulators();
    restoreEnv = withEnv(emulators.env); // the test's own client reaches the emulators the SDK's way too
    fake = await startFakeAws();
  });
  after(async () => {
    restoreEnv?.();
    await fake?.close();
    await emulators?.stop();
  });

  it("protects the instance while busy; on Terminated finishes the job, completes the hook, exits 0", async () => {
    const env = {
      ...emulators.env,
      ...(await emulators.resources({ maxAttempts: 3 })),
      JOBS_BACKEND: "aws",
      FLEET_ROLE: "worker",
      WORKER_CONCURRENCY: "1",
      [AWS_WORKER_ENV.autoScalingGroup]: "fleet-test-workers",
      [AWS_WORKER_ENV.lifecycleHook]: "fleet-test-drain",
      AWS_EC2_METADATA_SERVICE_ENDPOINT: fake.url,
      AWS_ENDPOINT_URL_AUTO_SCALING: fake.url,
    };
    const client = new AwsJobBackend({ config: loadAwsJobsConfig(env), maxAttempts: 3 });
    try {
      const worker = await startFleet(env, false);
      await worker.waitFor((line) => line.msg === "job worker ready", 30_000);
      const n = 300_000_000; // long enough to be running when the termination mark comes
      const { job } = await client.enqueue({ kind: "sum", input: { n } });
      const deadline = Date.now() + 30_000;
      while (!fake.calls.some((c) => c.Action === "SetInstanceProtection") && Date.now() < deadline) await sleep(50);
      assert.deepEqual(
        fake.calls.map((c) => [c.Action, c.ProtectedFromScaleIn, c.AutoScalingGroupName, c["InstanceIds.member.1"]]),
        [["SetInstanceProtection", "true", "fleet-test-workers", "i-0123456789abcdef0"]],
      );
      fake.lifecycleState = "Terminated";
      assert.equal(await worker.exited, 0, worker.stderr());
      const done = (await client.get(job.id))!;
      assert.equal(done.status, "succeeded", "the draining worker did not finish its job");
      assert.deepEqual(done.result, { sum: expectedSum(n).toString() });
      const complete = fake.calls.find((c) => c.Action === "CompleteLifecycleAction");
      assert.deepEqual(complete && [complete.LifecycleHookName, complete.InstanceId, complete.LifecycleActionResult], [
        "fleet-test-drain",
        "i-0123456789abcdef0",
        "CONTINUE",
      ]);
    } finally {
      await client.close();
    }
  });

  it("on a Spot interruption mid-job hands the job back uncounted; another worker completes it exactly once", async function () {
    this.timeout(150_000); // two compiled workers, two 5 s IMDS polls and the job itself on a shared CI machine
    fake.lifecycleState = "InService";
    fake.calls.length = 0;
    const resources = await emulators.resources({ maxAttempts: 3 });
    const base = { ...emulators.env, ...resources, JOBS_BACKEND: "aws", FLEET_ROLE: "worker", WORKER_CONCURRENCY: "1" };
    const spotEnv = {
      ...base,
      [AWS_WORKER_ENV.autoScalingGroup]: "fleet-test-workers",
      [AWS_WORKER_ENV.lifecycleHook]: "fleet-test-drain",
      AWS_EC2_METADATA_SERVICE_ENDPOINT: fake.url,
      AWS_ENDPOINT_URL_AUTO_SCALING: fake.url,
    };
    const client = new AwsJobBackend({ config: loadAwsJobsConfig(base), maxAttempts: 3 });
    // Killed at the end whatever happened: a worker left waiting for its termination would hold mocha open.
    const started: FleetProcess[] = [];
    const start = async (env: Record<string, string>) => {
      const p = await startFleet(env, false);
      started.push(p);
      return p;
    };
    try {
      const spot = await start(spotEnv);
      await spot.waitFor((line) => line.msg === "job worker ready", 30_000);
      // ~30 s of work (about 1e9 additions a second): still running when the notice comes (the other
      // worker's start and the next 5 s IMDS poll take up to ~15 s), and far longer than the second the
      // notice leaves. With 3 s of work a quiet machine finished the job before the notice.
      const n = 30_000_000_000;
      const { job } = await client.enqueue({ kind: "sum", input: { n } });
      await spot.waitFor((line) => line.msg === JOB_LOG.started && line.jobId === job.id, 30_000);
      // The other worker starts now: the job can only reach it through the hand-back.
      const other = await start(base);
      await other.waitFor((line) => line.msg === "job worker ready", 30_000);
      // EC2's notice, its time 21 s out: 21 − 20 s of margin leaves the running job one second.
      fake.spotAction = JSON.stringify({ action: "terminate", time: new Date(Date.now() + 21_000).toISOString() });
      await spot.waitFor((line) => line.msg === JOB_LOG.released && line.jobId === job.id, 30_000);
      // Auto Scaling then holds the instance in Terminating:Wait: the worker completes the hook and exits 0.
      fake.lifecycleState = "Terminated";
      assert.equal(await spot.exited, 0, spot.stderr());
      const done = await other.waitFor((line) => line.msg === JOB_LOG.succeeded && line.jobId === job.id, 60_000);
      assert.equal(done.attempt, 1, "the interrupted attempt was not counted");
      const record = (await client.get(job.id))!;
      assert.equal(record.status, "succeeded");
      assert.deepEqual(record.result, { sum: expectedSum(n).toString() });
      assert.equal(record.attempts, 1);
      // Exactly once: the interrupted worker neither finished nor failed it, the other ran it one time.
      const about = (p: { lines: Array<{ msg: string; jobId?: unknown }> }, msg: string) =>
        p.lines.filter((l) => l.msg === msg && l.jobId === job.id).length;
      assert.deepEqual(
        [about(spot, JOB_LOG.succeeded), about(spot, JOB_LOG.failed), about(spot, JOB_LOG.drained)],
        [0, 0, 0],
      );
      assert.deepEqual([about(other, JOB_LOG.started), about(other, JOB_LOG.succeeded)], [1, 1]);
      const complete = fake.calls.filter((c) => c.Action === "CompleteLifecycleAction");
      assert.deepEqual(
        complete.map((c) => c.LifecycleActionResult),
        ["CONTINUE"],
      );
      other.proc.kill("SIGTERM");
      assert.equal(await other.exited, 0, other.stderr());
    } finally {
      fake.spotAction = undefined;
      for (const p of started) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill("SIGKILL");
      await client.close();
    }
  });
});
