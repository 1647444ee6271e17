/** The chaos bench's command line and report; the run itself is a bench (npm run chaos), not a test. */
import assert from "node:assert/strict";
import { parseChaosArgs, renderChaosMarkdown, type RunReport } from "../../bench/chaos";
import { UsageError } from "../../scripts/cli";

describe("npm run chaos", () => {
  it("defaults to the issue's run: 1000 jobs, 3 workers, a SIGKILL about every second", () => {
    const args = parseChaosArgs([]);
    assert.equal(args.jobs, 1000);
    assert.equal(args.workers, 3);
    assert.equal(args.killEveryS, 1);
    assert.equal(args.baseline, true);
  });

  it("refuses a bad flag naming it", () => {
    assert.throws(
      () => parseChaosArgs(["--workers", "1"]),
      (e: Error) => e instanceof UsageError && /--workers/.test(e.message),
    );
    assert.throws(() => parseChaosArgs(["--jobs", "ten"]), /--jobs must be an integer/);
    assert.throws(() => parseChaosArgs(["--kills"]), UsageError);
  });

  it("reports completed / lost / duplicated and the time against the run without kills", () => {
    const run = (kills: boolean, seconds: number): RunReport => ({
      kills,
      seconds,
      sigkills: kills ? 12 : 0,
      completed: 1000,
      deadLettered: 0,
      lost: 0,
      duplicated: 0,
      wrongResult: 0,
      committedUnlogged: 0,
      discarded: 1,
      attemptsHistogram: { 1: 990, 2: 10 },
      lostIds: [],
      meanStartupMs: 900,
    });
    const md = renderChaosMarkdown(parseChaosArgs([]), "sqlite", [run(false, 10), run(true, 15)]);
    assert.match(md, /\| SIGKILL ~every 1 s \| 15\.0 s \| 12 \| 1000 \| 0 \| 0 \| 0 \|/);
    assert.match(md, /1\.50× the run without kills/);
  });
});
