/**
 * docs/deploying.md's `fleet:` key tables list exactly the keys the program reads (KNOWN_KEYS): a key added
 * to the config without a row, or a row for a key the program no longer reads, fails here. A removed key is
 * mentioned nowhere in README.md or docs/ (a reader would set it, and the unknown-key check would refuse it).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { KNOWN_KEYS } from "../../infra/shared/config";

const ROOT = path.resolve(__dirname, "../..");

/** Keys the program used to read and now refuses as unknown; no page may tell a reader to set them. */
const REMOVED_KEYS = ["allowPlainHttp"] as const;

/** The `fleet:` keys named in the first cell of the table rows of the "Configuration" section. */
export function tableKeys(markdown: string): string[] {
  const start = markdown.indexOf("\n## Configuration\n");
  assert.ok(start >= 0, 'docs/deploying.md has no "## Configuration" section');
  const rest = markdown.slice(start + 1);
  const next = rest.indexOf("\n## ", 1);
  const section = next < 0 ? rest : rest.slice(0, next);
  const keys: string[] = [];
  for (const line of section.split("\n")) {
    if (!line.startsWith("|")) continue;
    const firstCell = line.split("|")[1] ?? "";
    for (const m of firstCell.matchAll(/`fleet:([A-Za-z]+)`/g)) keys.push(m[1]!);
  }
  return keys;
}

describe("docs/deploying.md's fleet: key tables", () => {
  const doc = fs.readFileSync(path.join(ROOT, "docs/deploying.md"), "utf8");

  it("reads the keys of a table's first column only", () => {
    const sample =
      "## Configuration\n\n| Key | Default |\n| --- | --- |\n| `fleet:a` / `fleet:b` | `fleet:c` |\n\n## Next\n| `fleet:d` |\n";
    assert.deepEqual(tableKeys(`x\n${sample}`), ["a", "b"]);
  });

  it("list every key the program reads, once", () => {
    const keys = tableKeys(doc);
    const missing = KNOWN_KEYS.filter((k) => !keys.includes(k));
    assert.deepEqual(missing, [], "keys the program reads with no row in docs/deploying.md");
    const twice = keys.filter((k, i) => keys.indexOf(k) !== i);
    assert.deepEqual(twice, [], "keys with two rows");
  });

  it("list no key the program does not read", () => {
    const unknown = tableKeys(doc).filter((k) => !KNOWN_KEYS.includes(k));
    assert.deepEqual(unknown, [], "rows for keys the program refuses as unknown");
  });

  it("no page mentions a removed key", () => {
    const pages = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).map((f) => `docs/${f}`)];
    const hits = pages.flatMap((page) => {
      const text = fs.readFileSync(path.join(ROOT, page), "utf8");
      return REMOVED_KEYS.filter((k) => text.includes(`fleet:${k}`)).map((k) => `${page}: fleet:${k}`);
    });
    assert.deepEqual(hits, []);
  });
});
