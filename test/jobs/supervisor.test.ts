/**
 * The FLEET_ROLE=all supervisor of the job-worker child: SIGHUP replaces the child (a new process first,
 * then the old one drained), as it reloads the web workers, so a kind added by a rebuild is taken
 * without a restart; SIGTERM then drains the new child and ends with 0.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { superviseJobWorker } from "../../service/jobs/supervisor";
import { tempDir } from "./helpers";

interface Line {
  msg: string;
  jobWorkerPid?: number;
}

describe("job worker supervisor (FLEET_ROLE=all)", function () {
  this.timeout(20_000);

  it("replaces the job worker on SIGHUP, draining the old process, and stops the new one on stop()", async () => {
    const lines: Line[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const text of chunk.toString().split("\n")) if (text) lines.push(JSON.parse(text) as Line);
        done();
      },
    });
    const readyDir = tempDir("fleet-supervisor-");
    const ready = (pid: number | undefined) => fs.existsSync(path.join(readyDir, String(pid)));
    const supervisor = superviseJobWorker({
      script: path.join(__dirname, "fixtures", "idle-child.js"),
      env: { ...process.env, READY_DIR: readyDir },
      log: pino({ level: "info" }, sink),
      drainTimeoutMs: 5_000,
    });
    const started = () => lines.filter((l) => l.msg === "job worker process started").map((l) => l.jobWorkerPid);
    const until = async (what: string, check: () => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!check()) {
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(lines)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    try {
      await until("the first child", () => started().length === 1 && ready(started()[0]));
      process.emit("SIGHUP");
      await until("a second child", () => started().length === 2 && ready(started()[1]));
      const [first, second] = started();
      assert.notEqual(first, second);
      await until("the old child's exit", () =>
        lines.some((l) => l.msg === "replaced job worker process exited" && l.jobWorkerPid === first),
      );
      assert.ok(!lines.some((l) => /died unexpectedly/.test(l.msg)), "the replaced child counted as a crash");
    } finally {
      supervisor.stop("test over");
    }
    assert.equal(await supervisor.done, 0);
    fs.rmSync(readyDir, { recursive: true, force: true });
  });
});
