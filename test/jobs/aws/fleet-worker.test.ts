/**
 * A fleet worker as production runs it (the compiled service, FLEET_ROLE=worker, JOBS_BACKEND=aws) against
 * the emulators and the IMDSv2 / Auto Scaling fakes: it protects its instance while a job runs, and when
 * Auto Scaling marks the instance for termination it lets the job finish, completes the lifecycle action
 * and exits 0.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { startEmulators, withEnv, type Emulators } from "../../../bench/aws-emulators";
import { AWS_WORKER_ENV } from "../../../service/jobs/aws-env";
import { AwsJobBackend } from "../../../service/jobs/aws/backend";
import { loadAwsJobsConfig } from "../../../service/jobs/aws/config";
import { expectedSum } from "../../../service/sum";
import { startFleet } from "../../service/fleet-process";
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
});
