import assert from "node:assert/strict";
import http from "node:http";
import { readFileSync } from "node:fs";
import net from "node:net";
import { expectedSum } from "../../service/sum";
import { get, startFleet, stopFleet, workerPids, type FleetProcess } from "./fleet-process";

describe("cluster bootstrap (real processes on loopback)", function () {
  this.timeout(60_000);
  let fleet: FleetProcess | undefined;
  afterEach(async () => {
    await stopFleet(fleet);
    fleet = undefined;
  });

  it("forks WEB_CONCURRENCY workers that all serve one port", async () => {
    fleet = await startFleet({ WEB_CONCURRENCY: "2" });
    const pids = new Set<number>();
    for (let i = 0; i < 20 && pids.size < 2; i++) pids.add(JSON.parse((await get(fleet.port, "/")).body).pid);
    assert.deepEqual([...pids].sort(), workerPids(fleet).sort());
  });

  it("replaces a worker killed with SIGKILL, after a backoff, and keeps serving", async () => {
    fleet = await startFleet({ WEB_CONCURRENCY: "2" });
    const [victim, survivor] = workerPids(fleet);
    process.kill(victim!, "SIGKILL");
    const respawning = await fleet.waitFor((l) => l.msg === "worker died unexpectedly; respawning");
    assert.equal(respawning.signal, "SIGKILL");
    assert.ok((respawning.respawnInMs as number) > 0, "respawn waits a backoff");
    await fleet.waitFor((l) => l.msg === "worker listening" && l.workerPid !== victim && l.workerPid !== survivor);
    const pids = workerPids(fleet);
    assert.equal(pids.length, 3);
    assert.equal((await get(fleet.port, "/healthcheck")).status, 200);
    assert.equal(fleet.proc.exitCode, null, "the primary is still running");
  });

  it("gives up with a non-zero exit on a crash loop instead of forking forever", async () => {
    fleet = await startFleet({ WEB_CONCURRENCY: "1" });
    for (let kills = 1; kills <= 6; kills++) {
      const pids = workerPids(fleet);
      process.kill(pids[pids.length - 1]!, "SIGKILL");
      if (kills < 6)
        await fleet.waitFor((l) => l.msg === "worker listening" && workerPids(fleet!).length === kills + 1);
    }
    assert.equal(await fleet.exited, 1);
    const fatal = fleet.lines.find((l) => l.level === 60);
    assert.match(fatal!.msg, /crash loop/);
    assert.equal(fatal!.crashes, 6);
    assert.equal(workerPids(fleet).length, 6, "no worker forked after the sixth crash");
  });

  it("treats a respawned worker that dies before it listens as one more crash, not a reason to give up", async () => {
    fleet = await startFleet({ WEB_CONCURRENCY: "1" });
    const primary = fleet.proc.pid!;
    const children = () =>
      readFileSync(`/proc/${primary}/task/${primary}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    const [first] = workerPids(fleet);
    process.kill(first!, "SIGKILL");
    // Catch the respawn while it is still loading, before it can listen.
    const deadline = Date.now() + 10_000;
    let respawn: number | undefined;
    while (respawn === undefined && Date.now() < deadline) {
      respawn = children().find((pid) => pid !== first);
      if (respawn === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.ok(respawn, "the primary respawned a worker");
    process.kill(respawn, "SIGKILL");
    await fleet.waitFor((l) => l.msg === "worker died unexpectedly; respawning" && l.workerPid === respawn);
    const listening = await fleet.waitFor((l) => l.msg === "worker listening" && l.workerPid !== first);
    assert.notEqual(listening.workerPid, respawn, "a third worker took over");
    assert.equal(fleet.proc.exitCode, null, "the primary is still running");
    assert.ok(!fleet.lines.some((l) => l.level === 60), "nothing fatal");
    // With its only worker gone the primary released the shared port; PORT=0 then picks a new one.
    assert.equal((await get(listening.port as number, "/healthcheck")).status, 200);
  });

  it("exits non-zero, without respawning, when a worker dies before it listens", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      fleet = await startFleet({ WEB_CONCURRENCY: "2", PORT: String(taken) }, false);
      assert.equal(await fleet.exited, 1);
      assert.match(fleet.stderr(), /EADDRINUSE/);
      assert.ok(fleet.lines.some((l) => l.level === 60 && /before it listened/.test(l.msg)));
      assert.ok(!fleet.lines.some((l) => l.msg === "worker died unexpectedly; respawning"));
    } finally {
      blocker.close();
    }
  });

  it("drains on SIGTERM: the in-flight request completes exactly, idle sockets close after the quiet period, exit 0", async () => {
    fleet = await startFleet({ WEB_CONCURRENCY: "1" });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    // A long request in flight on one socket, and an idle keep-alive socket beside it, as the ALB keeps them.
    // About 5 s of sum: it outlasts the quiet period (2 s) that precedes the drain.
    const n = 5_000_000_000;
    const inFlight = get(fleet.port, `/api/${n}`, agent);
    assert.equal((await get(fleet.port, "/healthcheck", agent)).status, 200);
    const idle = Object.values(agent.freeSockets)[0]![0]!;
    const idleClosed = new Promise<number>((resolve) => idle.once("close", () => resolve(performance.now())));
    await new Promise((resolve) => setTimeout(resolve, 200));
    fleet.proc.kill("SIGTERM");
    const answer = await inFlight;
    const answered = performance.now();
    assert.equal(answer.status, 200);
    assert.equal(JSON.parse(answer.body).sum, expectedSum(n).toString());
    assert.equal(answer.headers.connection, "close", "a draining worker closes the connection after the response");
    assert.ok(
      (await idleClosed) < answered,
      "the idle keep-alive socket was closed before the in-flight request ended",
    );
    assert.equal(await fleet.exited, 0);
    const over = fleet.lines.find((l) => l.msg === "linger over");
    assert.equal(over?.why, "every worker quiet");
    await assert.rejects(get(fleet.port, "/healthcheck"), /ECONNREFUSED/);
    agent.destroy();
  });

  it("on SIGTERM keeps serving new connections (health check 503, Connection: close) until they stop, then drains", async () => {
    fleet = await startFleet({ WEB_CONCURRENCY: "2" });
    const failures: string[] = [];
    let served = 0;
    let healthWhileLingering = 0;
    let done = false;
    // A load balancer that has not noticed yet: a new connection per request (Connection: close ends
    // each), for 3 s after the SIGTERM, longer than the quiet period.
    const deadline = Date.now() + 15_000;
    const client = async () => {
      while (!done && Date.now() < deadline) {
        try {
          const answer = await get(fleet!.port, "/", false, 5_000);
          if (answer.status !== 200) failures.push(`status ${answer.status}`);
          else if (answer.headers.connection !== "close") failures.push("no Connection: close");
          else served++;
          await new Promise((resolve) => setTimeout(resolve, 20));
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    fleet.proc.kill("SIGTERM");
    await fleet.waitFor((l) => l.msg === "worker lingering");
    const clients = [client(), client()];
    const health = await get(fleet.port, "/healthcheck");
    if (health.status === 503) healthWhileLingering++;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    done = true;
    const stoppedAt = performance.now();
    await Promise.all(clients);
    assert.deepEqual(failures, []);
    assert.equal(healthWhileLingering, 1, "/healthcheck said 503 while serving");
    assert.ok(served > 20, `served ${served}`);
    assert.equal(await fleet.exited, 0);
    const exitedAfterMs = performance.now() - stoppedAt;
    const over = fleet.lines.find((l) => l.msg === "linger over")!;
    assert.equal(over.why, "every worker quiet");
    assert.ok((over.lingeredMs as number) >= 3_000, `lingered ${over.lingeredMs} ms: the traffic kept it serving`);
    assert.ok(
      exitedAfterMs >= 1_500,
      `exited ${Math.round(exitedAfterMs)} ms after the last request, before the quiet period`,
    );
  });

  it("on SIGTERM with no traffic (the ASG's path: the ALB stopped sending long ago) adds only the quiet period", async () => {
    fleet = await startFleet({ WEB_CONCURRENCY: "2" });
    const sent = performance.now();
    fleet.proc.kill("SIGTERM");
    assert.equal(await fleet.exited, 0);
    const tookMs = performance.now() - sent;
    const over = fleet.lines.find((l) => l.msg === "linger over")!;
    assert.equal(over.why, "every worker quiet");
    assert.ok(
      (over.lingeredMs as number) >= 2_000 && (over.lingeredMs as number) < 5_000,
      `lingered ${over.lingeredMs} ms`,
    );
    assert.ok(tookMs < 8_000, `the stop took ${Math.round(tookMs)} ms`);
  });

  it("reloads on SIGHUP one worker at a time with no failed request under load", async () => {
    fleet = await startFleet({ WEB_CONCURRENCY: "2" });
    const before = new Set(workerPids(fleet));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const failures: string[] = [];
    const servedBy = new Set<number>();
    let done = false;
    let requests = 0;
    // A bounded loop: 4 clients until the reload has finished, and never more than 20 s.
    const deadline = Date.now() + 20_000;
    const client = async () => {
      while (!done && Date.now() < deadline) {
        requests++;
        try {
          const answer = await get(fleet!.port, "/", agent, 5_000);
          if (answer.status !== 200) failures.push(`status ${answer.status}`);
          else servedBy.add(JSON.parse(answer.body).pid);
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const clients = Array.from({ length: 4 }, client);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const beforeReload = requests;
    servedBy.clear();
    fleet.proc.kill("SIGHUP");
    await fleet.waitFor((l) => l.msg === "reload finished", 20_000);
    // Keep the load on the new workers a little longer.
    await new Promise((resolve) => setTimeout(resolve, 300));
    done = true;
    await Promise.all(clients);
    agent.destroy();
    assert.deepEqual(failures, []);
    assert.ok(requests - beforeReload > 50, `only ${requests - beforeReload} requests during the reload`);
    const after = workerPids(fleet).filter((pid) => !before.has(pid));
    assert.equal(after.length, 2, "two new workers");
    assert.equal(fleet.lines.filter((l) => l.msg === "worker retired").length, 2);
    // The second replacement listened before the first old worker retired: capacity never dropped.
    const order = fleet.lines.map((l) => l.msg).filter((m) => m === "worker listening" || m === "worker retired");
    assert.deepEqual(order.slice(2), ["worker listening", "worker retired", "worker listening", "worker retired"]);
    assert.equal((await get(fleet.port, "/healthcheck")).status, 200);
  });

  it("keeps /healthcheck fast while every worker's CPU is busy with /api", async () => {
    fleet = await startFleet({ WEB_CONCURRENCY: "2" });
    // Each of these keeps a core busy for seconds; a handler that summed on the event loop would
    // leave /healthcheck waiting just as long.
    const n = 5_000_000_000;
    // Admission refuses a second 5 s sum on a worker already summing one (it would wait past 1 s): such a
    // refusal is retried on a new connection, which the primary hands to the other worker.
    const sumAdmitted = async () => {
      let answer = await get(fleet!.port, `/api/${n}`);
      for (let i = 0; i < 3 && answer.status === 503; i++) answer = await get(fleet!.port, `/api/${n}`);
      return answer;
    };
    const busy = [sumAdmitted(), sumAdmitted()];
    await new Promise((resolve) => setTimeout(resolve, 300));
    const samples: number[] = [];
    for (let i = 0; i < 20; i++) {
      const answer = await get(fleet.port, "/healthcheck", false, 5_000);
      assert.equal(answer.status, 200);
      samples.push(answer.ms);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const answers = await Promise.all(busy);
    assert.ok(answers.every((a) => a.status === 200 && JSON.parse(a.body).sum === expectedSum(n).toString()));
    // A blocked event loop would show the task's seconds here; the bound leaves room for a slow machine.
    assert.ok(Math.max(...samples) < 1_000, `healthcheck latencies ${samples.map(Math.round).join(", ")} ms`);
  });

  it("refuses bad environment values before forking, naming the variable", async () => {
    for (const [name, value] of [
      ["WEB_CONCURRENCY", "two"],
      ["PORT", "70000"],
      ["SHUTDOWN_TIMEOUT_MS", "600000"],
      ["LOG_LEVEL", "loud"],
    ]) {
      fleet = await startFleet({ [name!]: value! }, false);
      assert.equal(await fleet.exited, 1, `${name}=${value}`);
      const lines = fleet.stderr().trim().split("\n");
      assert.equal(lines.length, 1, fleet.stderr());
      assert.match(lines[0]!, new RegExp(`^fleet: ${name}=.* is invalid: expected `));
      assert.deepEqual(fleet.lines, [], "nothing started");
    }
  });
});
