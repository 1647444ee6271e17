/**
 * Long polls without read amplification, against a fake backend that counts its reads: waiters on one job
 * share one poller (reads do not grow with the waiters), the process's reads a second stay bounded however
 * many jobs are watched, and past JOBS_MAX_WAITERS a request is refused (503 with Retry-After).
 */
import assert from "node:assert/strict";
import type { JobRecord } from "../../service/jobs/backend";
import { JobWatch, WaitersFullError } from "../../service/jobs/watch";
import { buildJobsApp } from "./helpers";

function job(id: string, progress = 0): JobRecord {
  return { id, kind: "sum", input: {}, status: "running", attempts: 1, progress, createdAt: new Date(0).toISOString() };
}

/** A backend's get that counts reads per id and answers what `jobs` holds. */
function fakeReads() {
  const jobs = new Map<string, JobRecord>();
  const reads = new Map<string, number>();
  return {
    jobs,
    reads,
    total: () => [...reads.values()].reduce((a, b) => a + b, 0),
    read: async (id: string) => {
      reads.set(id, (reads.get(id) ?? 0) + 1);
      return jobs.get(id);
    },
  };
}

describe("long-poll watch (fake backend)", function () {
  this.timeout(20_000);

  it("shares one poller among the waiters on a job: fifty waiters cost the reads of one", async () => {
    const alone = fakeReads();
    alone.jobs.set("a", job("a"));
    const one = new JobWatch({ read: alone.read, maxWaiters: 100 });
    await one.wait(job("a"), 600, new AbortController().signal);

    const crowd = fakeReads();
    crowd.jobs.set("a", job("a"));
    const many = new JobWatch({ read: crowd.read, maxWaiters: 100 });
    await Promise.all(Array.from({ length: 50 }, () => many.wait(job("a"), 600, new AbortController().signal)));
    assert.ok(crowd.total() <= alone.total() + 1, `50 waiters read ${crowd.total()} times, one ${alone.total()}`);
    assert.ok(crowd.total() >= 2, "the job was read");
    assert.equal(many.polls, 0, "the poller ends with its last waiter");
  });

  it("answers every waiter once the job moves, each against what it had seen", async () => {
    const f = fakeReads();
    f.jobs.set("a", job("a", 0.5));
    const watch = new JobWatch({ read: f.read, maxWaiters: 10 });
    const stale = watch.wait(job("a", 0.2), 5_000, new AbortController().signal);
    const current = watch.wait(job("a", 0.5), 300, new AbortController().signal);
    assert.equal((await stale).progress, 0.5, "answered at the first read: it had seen 0.2");
    assert.equal((await current).progress, 0.5, "nothing moved for it: answered with what it had at its deadline");
    f.jobs.set("a", job("a", 0.9));
    assert.equal((await watch.wait(job("a", 0.5), 5_000, new AbortController().signal)).progress, 0.9);
  });

  it("keeps the process's reads a second bounded however many jobs are watched", async () => {
    const f = fakeReads();
    const ids = Array.from({ length: 200 }, (_, i) => `j${i}`);
    for (const id of ids) f.jobs.set(id, job(id));
    const watch = new JobWatch({ read: f.read, maxWaiters: 1_000, readsPerS: 100 });
    const started = performance.now();
    await Promise.all(ids.map((id) => watch.wait(job(id), 1_000, new AbortController().signal)));
    const seconds = (performance.now() - started) / 1000;
    // Unbounded, 200 pollers backing off from 25 ms would read about 200 × 6 = 1,200 times in that second.
    assert.ok(f.total() <= 100 * seconds * 1.2 + 200, `${f.total()} reads in ${seconds.toFixed(2)} s`);
  });

  it("refuses a waiter past the cap with WaitersFullError, and takes one again once a slot frees", async () => {
    const f = fakeReads();
    f.jobs.set("a", job("a"));
    const watch = new JobWatch({ read: f.read, maxWaiters: 2 });
    const leave = new AbortController();
    const held = [watch.wait(job("a"), 5_000, leave.signal), watch.wait(job("a"), 200, new AbortController().signal)];
    assert.throws(() => watch.wait(job("a"), 1_000, new AbortController().signal), WaitersFullError);
    leave.abort();
    await Promise.all(held);
    assert.equal(watch.waiters, 0);
    await watch.wait(job("a"), 50, new AbortController().signal);
  });

  it("GET /jobs/:id?wait= from twenty clients reads the job about as often as from one", async () => {
    const t = await buildJobsApp();
    try {
      const { job: queued } = await t.backend.enqueue({ kind: "sum", input: { n: 1 } });
      let reads = 0;
      const get = t.backend.get.bind(t.backend);
      t.backend.get = (id) => (reads++, get(id));
      await t.app.inject(`/jobs/${queued.id}?wait=1`);
      const alone = reads;
      reads = 0;
      await Promise.all(Array.from({ length: 20 }, () => t.app.inject(`/jobs/${queued.id}?wait=1`)));
      // Each request reads the job once itself before it waits; the re-reads are shared.
      assert.ok(reads <= 20 + alone + 1, `20 waiters: ${reads} reads; one waiter: ${alone}`);
    } finally {
      await t.close();
    }
  });

  it("GET /jobs/:id?wait= past JOBS_MAX_WAITERS answers 503 with Retry-After", async () => {
    const t = await buildJobsApp({ maxWaiters: 1 });
    try {
      const { job: queued } = await t.backend.enqueue({ kind: "sum", input: { n: 1 } });
      const first = t.app.inject(`/jobs/${queued.id}?wait=1`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const second = await t.app.inject(`/jobs/${queued.id}?wait=1`);
      assert.equal(second.statusCode, 503);
      assert.equal(second.json().code, "WAITERS_FULL");
      assert.match(second.json().message, /JOBS_MAX_WAITERS/);
      assert.equal(second.headers["retry-after"], "1");
      assert.equal((await t.app.inject(`/jobs/${queued.id}`)).statusCode, 200, "a plain read is never refused");
      assert.equal((await first).statusCode, 200);
    } finally {
      await t.close();
    }
  });
});
