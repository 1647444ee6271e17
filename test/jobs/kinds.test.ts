/** The kinds: `sum` is exact with progress; `render` is a real PNG, the same bytes for the same input. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { PNG } from "pngjs";
import { KINDS, KIND_NAMES, type KindOutput } from "../../service/jobs/kinds";
import { renderKind } from "../../service/jobs/kinds/render";
import { sumKind } from "../../service/jobs/kinds/sum";
import { expectedSum } from "../../service/sum";

async function run<I>(
  kind: { run(input: I, c: { progress(f: number): void }): KindOutput | Promise<KindOutput> },
  input: I,
) {
  const progress: number[] = [];
  const output = await kind.run(input, { progress: (f) => progress.push(f) });
  return { output, progress };
}

describe("job kinds", () => {
  it("registers every kind under its name", () => {
    assert.deepEqual(KIND_NAMES, ["sum", "render"]);
    for (const [name, kind] of KINDS) assert.equal(kind.name, name);
  });

  describe("sum", () => {
    for (const n of [0, 1, 10_000_019, 250_000_000]) {
      it(`sums 0..${n} exactly, reporting progress up to 1`, async () => {
        const { output, progress } = await run(sumKind, { n });
        assert.deepEqual(output.result, { sum: expectedSum(n).toString() });
        assert.equal(progress.at(-1), 1);
        assert.ok(
          progress.every((f, i) => f > 0 && f <= 1 && (i === 0 || f > progress[i - 1]!)),
          "rising",
        );
      });
    }

    it("reports about a hundred progress points on a long sum, and never more", async () => {
      const { progress } = await run(sumKind, { n: 1_000_000_000 });
      assert.ok(progress.length >= 90 && progress.length <= 101, `${progress.length} points`);
    });
  });

  describe("render", () => {
    const input = { width: 160, height: 90, maxIterations: 200, view: { centerX: -0.7, centerY: 0.2, zoom: 2 } };

    it("encodes a PNG of the asked size, and says its bytes and sha256", async () => {
      const { output } = await run(renderKind, input);
      const body = Buffer.from(output.artifact!.body);
      assert.equal(output.artifact!.contentType, "image/png");
      const png = PNG.sync.read(body);
      assert.equal(png.width, 160);
      assert.equal(png.height, 90);
      assert.deepEqual(output.result, {
        bytes: body.length,
        width: 160,
        height: 90,
        sha256: createHash("sha256").update(body).digest("hex"),
      });
      // Not a blank image: the set (black) and the escaping points (coloured) are both there.
      const colours = new Set<number>();
      for (let i = 0; i < png.data.length; i += 4) colours.add(png.data.readUInt32BE(i));
      assert.ok(colours.size > 10, `${colours.size} colours`);
    });

    it("gives the same bytes for the same input, and other bytes for another view", async () => {
      const a = (await run(renderKind, input)).output;
      const b = (await run(renderKind, structuredClone(input))).output;
      assert.deepEqual(Buffer.from(b.artifact!.body), Buffer.from(a.artifact!.body));
      const c = (await run(renderKind, { ...input, view: { ...input.view, zoom: 3 } })).output;
      assert.notEqual(c.result.sha256, a.result.sha256);
    });

    it("reports progress by rows, ending at 1", async () => {
      const { progress } = await run(renderKind, { width: 10, height: 250 });
      assert.equal(progress.at(-1), 1);
      assert.ok(progress.length >= 50 && progress.length <= 101, `${progress.length} points`);
      assert.ok(progress.every((f, i) => i === 0 || f > progress[i - 1]!));
    });
  });
});
