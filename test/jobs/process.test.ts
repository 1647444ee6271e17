/**
 * Jobs across real processes (the compiled dist, as production runs it), with short leases and timeouts
 * set through the environment: a worker killed mid-job and the job completing on another, SIGTERM handing
 * a job back at its drain deadline with the attempt counted, a job that times out ending failed after one attempt, and nothing lost across a restart of
 * everything.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import type { JobRecord } from "../../service/jobs/backend";
import { JOB_LOG } from "../../service/jobs/worker";
import { expectedSum } from "../../service/sum";
import { get, startFleet, stopFleet, workerPids, type FleetProcess } from "../service/fleet-process";
import { tempDir } from "./helpers";

async function postJob(port: number, body: unknown): Promise<JobRecord> {
  const res = await fetch(`http://127.0.0.1:${port}/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 202, await res.clone().text());
  return (await res.json()) as JobRecord;
}

async function getJob(port: number, id: string, waitS = 0): Promise<JobRecord> {
  const res = await get(port, `/jobs/${id}${waitS ? `?wait=${waitS}` : ""}`);
  assert.equal(res.status, 200, res.body);
  return JSON.parse(res.body) as JobRecord;
}

/** Long-polls until `done` holds; bounded. */
async function until(port: number, id: string, done: (job: JobRecord) => boolean, timeoutMs = 45_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJob(port, id, 2);
    if (done(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} is still ${JSON.stringify(job)}`);
  }
}

const finished = (job: JobRecord) => ["succeeded", "failed", "canceled"].includes(job.status);

describe("jobs across real processes", function () {
  this.timeout(120_000);
  let dir: string;
  let env: Record<string, string>;
  const fleets: FleetProcess[] = [];

  beforeEach(() => {
    dir = tempDir();
    env = {
      JOBS_DB: path.join(dir, "jobs.db"),
      JOBS_RESULTS_DIR: path.join(dir, "results"),
      JOBS_VISIBILITY_TIMEOUT_S: "1",
      WEB_CONCURRENCY: "1",
      WORKER_CONCURRENCY: "1",
    };
  });
  afterEach(async () => {
    await Promise.all(fleets.splice(0).map(stopFleet));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function web(extra: Record<string, string> = {}): Promise<FleetProcess> {
    const fleet = await startFleet({ ...env, FLEET_ROLE: "web", ...extra });
    fleets.push(fleet);
    return fleet;
  }
  async function worker(extra: Record<string, string> = {}): Promise<FleetProcess> {
    const fleet = await startFleet({ ...env, FLEET_ROLE: "worker", ...extra }, false);
    fleets.push(fleet);
    await fleet.waitFor((l) => l.msg === "job worker ready");
    return fleet;
  }

  it("exits 1 with one line naming a bad FLEET_ROLE or WORKER_DRAIN_TIMEOUT_S, before it starts anything", async () => {
    for (const [bad, message] of [
      [{ FLEET_ROLE: "both" }, /^fleet: FLEET_ROLE="both" is invalid: expected one of all, web, worker/],
      [{ FLEET_ROLE: "worker", WORKER_DRAIN_TIMEOUT_S: "1h" }, /^fleet: WORKER_DRAIN_TIMEOUT_S="1h" is invalid/],
    ] as const) {
      const fleet = await startFleet({ ...env, ...bad }, false);
      fleets.push(fleet);
      assert.equal(await fleet.exited, 1);
      assert.match(fleet.stderr(), message);
      assert.equal(fleet.stderr().trim().split("\n").length, 1);
      assert.equal(fs.existsSync(env.JOBS_DB!), false, "no database was created");
    }
  });

  it("with FLEET_ROLE=all, stops the job worker too when the web cluster fails to start, and exits 1", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    try {
      const port = String((blocker.address() as net.AddressInfo).port);
      const fleet = await startFleet({ ...env, FLEET_ROLE: "all", PORT: port }, false);
      fleets.push(fleet);
      assert.equal(await fleet.exited, 1);
      // Drained (0), or stopped by SIGTERM while it was still loading, before its handlers existed.
      const stopped = await fleet.waitFor((l) => l.msg === "job worker process exited during shutdown");
      assert.ok(stopped.code === 0 || stopped.signal === "SIGTERM", JSON.stringify(stopped));
    } finally {
      blocker.close();
    }
  });

  it("finishes a job on another worker when its worker is killed with SIGKILL mid-job", async () => {
    const api = await web();
    const first = await worker();
    const job = await postJob(api.port, { kind: "sum", input: { n: 3_000_000_000 } });
    await first.waitFor((l) => l.msg === JOB_LOG.started && l.jobId === job.id);
    await until(api.port, job.id, (j) => j.progress > 0);
    first.proc.kill("SIGKILL");
    await first.exited;
    const second = await worker();
    const done = await until(api.port, job.id, finished);
    assert.equal(done.status, "succeeded");
    assert.deepEqual(done.result, { sum: expectedSum(3_000_000_000).toString() });
    assert.equal(done.attempts, 2, "the killed attempt counts; the second completed it");
    await second.waitFor((l) => l.msg === JOB_LOG.succeeded && l.jobId === job.id);
    const succeeded = [...first.lines, ...second.lines].filter(
      (l) => l.msg === JOB_LOG.succeeded && l.jobId === job.id,
    );
    assert.equal(succeeded.length, 1);
    assert.equal(succeeded[0]!.attempt, 2);
  });

  it("hands a running job back at the SIGTERM drain deadline with its attempt counted, and exits 0", async () => {
    const api = await web();
    const w = await worker({ WORKER_DRAIN_TIMEOUT_S: "0" });
    const job = await postJob(api.port, { kind: "sum", input: { n: 50_000_000_000 } });
    await until(api.port, job.id, (j) => j.progress > 0);
    w.proc.kill("SIGTERM");
    assert.equal(await w.exited, 0);
    assert.ok(w.lines.some((l) => l.msg === JOB_LOG.drained && l.jobId === job.id));
    const back = await getJob(api.port, job.id);
    assert.equal(back.status, "queued");
    assert.equal(back.attempts, 1, "a drained attempt counts, so a job cannot restart forever");
  });

  it("Ctrl-C while a job runs: the first says what it waits for and how long; the second gives the job back and exits", async () => {
    const api = await web();
    const w = await worker({ WORKER_DRAIN_TIMEOUT_S: "120" });
    const job = await postJob(api.port, { kind: "sum", input: { n: 50_000_000_000 } });
    await until(api.port, job.id, (j) => j.progress > 0);
    w.proc.kill("SIGINT");
    const waiting = await w.waitFor((l) => l.msg.startsWith("waiting up to"));
    assert.equal(
      waiting.msg,
      "waiting up to 120 s for 1 running job to finish, then stopping it (the attempt counts); SIGINT again gives it back now, uncounted",
    );
    const stoppedAt = Date.now();
    w.proc.kill("SIGINT");
    assert.equal(await w.exited, 0);
    assert.ok(Date.now() - stoppedAt < 20_000, "the second Ctrl-C did not wait for the job");
    assert.ok(w.lines.some((l) => l.msg === JOB_LOG.released && l.jobId === job.id));
    const back = await getJob(api.port, job.id);
    assert.equal(back.status, "queued");
    assert.equal(back.attempts, 0);
  });

  it("fails a job that runs past the worker's timeout after that one attempt, whatever attempts remain", async () => {
    // The web tier refuses an input estimated past its own JOBS_TIMEOUT_S (100 s here is within 900 s);
    // the worker's is 1 s, so the job is admitted and then times out.
    const api = await web({ JOBS_MAX_ATTEMPTS: "2" });
    const w = await worker({ JOBS_TIMEOUT_S: "1", JOBS_MAX_ATTEMPTS: "2" });
    const job = await postJob(api.port, { kind: "sum", input: { n: 100_000_000_000 } });
    const done = await until(api.port, job.id, finished);
    assert.equal(done.status, "failed");
    assert.equal(done.attempts, 1);
    assert.match(done.error!, /JOBS_TIMEOUT_S/);
    await w.waitFor((l) => l.msg === JOB_LOG.failed && l.jobId === job.id);
    const transitions = w.lines.filter((l) => l.jobId === job.id).map((l) => l.msg);
    assert.deepEqual(transitions, [JOB_LOG.started, JOB_LOG.failed]);
  });

  it("loses nothing across a restart of everything (npm start's web cluster + worker, killed with -9)", async () => {
    const all = { ...env, FLEET_ROLE: "all" };
    const before = await startFleet(all);
    fleets.push(before);
    await before.waitFor((l) => l.msg === "job worker ready");
    const render = await postJob(before.port, { kind: "render", input: { width: 200, height: 120 } });
    const rendered = await until(before.port, render.id, finished);
    assert.equal(rendered.status, "succeeded");
    const sum = await postJob(before.port, { kind: "sum", input: { n: 20_000_000_000 } });
    await until(before.port, sum.id, (j) => j.progress > 0);
    const queued = await postJob(before.port, { kind: "sum", input: { n: 1000 } });
    const jobWorkerPid = before.lines.find((l) => l.msg === "job worker process started")!.jobWorkerPid as number;
    for (const pid of [before.proc.pid!, jobWorkerPid, ...workerPids(before)]) process.kill(pid, "SIGKILL");
    await before.exited;

    const after = await startFleet(all);
    fleets.push(after);
    const again = await getJob(after.port, render.id);
    assert.deepEqual(again, rendered, "a finished job is as it was");
    const png = await fetch(`http://127.0.0.1:${after.port}${(again.result as { url: string }).url}`);
    assert.equal(png.status, 200);
    assert.equal(png.headers.get("content-type"), "image/png");
    assert.equal(Buffer.from(await png.arrayBuffer()).length, (again.result as { bytes: number }).bytes);
    const small = await until(after.port, queued.id, finished);
    assert.deepEqual(small.result, { sum: expectedSum(1000).toString() });
    // The sum that was running when everything died is taken again once its lease has run out.
    const big = await until(after.port, sum.id, (j) => j.attempts >= 2 && j.status !== "queued");
    if (big.status === "succeeded") assert.deepEqual(big.result, { sum: expectedSum(20_000_000_000).toString() });
    else assert.equal(big.status, "running");
  });
});
