/** npm run bench's flags (bench/bench.ts): the shortcut that runs only the per-request CPU comparison. */
import assert from "node:assert/strict";
import { parseBenchArgs, REQUEST_CPU_TARGETS } from "../../bench/bench";

describe("npm run bench -- --request-cpu", () => {
  it("runs fleet, the tutorial, bare Fastify and bare node:http side by side, and nothing else", () => {
    const a = parseBenchArgs(["--request-cpu"]);
    assert.deepEqual(a.targets, ["fleet", "baseline", "fastify", "raw"]);
    assert.deepEqual(a.targets, REQUEST_CPU_TARGETS);
    assert.equal(a.health, false);
    assert.equal(a.reload, false);
  });

  it("keeps the flags given after it", () => {
    const a = parseBenchArgs(["--request-cpu", "--rounds", "3", "--name", "cpu"]);
    assert.equal(a.rounds, 3);
    assert.equal(a.name, "cpu");
    assert.equal(a.health, false);
  });
});
