/**
 * Every relative link in README.md and docs/*.md leads somewhere: the file exists and, for an `#anchor`
 * into a Markdown file, so does the heading (GitHub's slug of it). Links to the web are not fetched.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

const pages = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith(".md"),
);

/** The text outside fenced code blocks and inline code, where links are links. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchors(file: string): Set<string> {
  const text = fs.readFileSync(file, "utf8").replace(/^```[\s\S]*?^```/gm, "");
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!)));
}

describe("links in README.md and docs/", () => {
  it("GitHub's heading slugs", () => {
    assert.equal(
      slug("Behind a load balancer: what happens to requests (`npm run test:lb`)"),
      "behind-a-load-balancer-what-happens-to-requests-npm-run-testlb",
    );
    assert.equal(slug("The nightly cycle"), "the-nightly-cycle");
  });

  for (const page of pages) {
    it(`every relative link in ${page} resolves`, () => {
      const text = prose(fs.readFileSync(path.join(ROOT, page), "utf8"));
      const broken: string[] = [];
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue; // https:, mailto:
        const [file, anchor] = target!.split("#") as [string, string | undefined];
        const resolved = file === "" ? page : path.posix.normalize(path.posix.join(path.posix.dirname(page), file));
        if (!fs.existsSync(path.join(ROOT, resolved))) {
          broken.push(`${target}: no ${resolved}`);
        } else if (anchor && resolved.endsWith(".md") && !anchors(path.join(ROOT, resolved)).has(anchor)) {
          broken.push(`${target}: no heading #${anchor} in ${resolved}`);
        }
      }
      assert.deepEqual(broken, []);
    });
  }
});
