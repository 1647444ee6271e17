/**
 * The one Node.js release the image installs, pinned with the SHA-256 of each architecture's tarball, so a
 * nightly build is reproducible and a tampered download fails the build. (The seed took `latest-v24.x` and
 * checked it against a checksum file from the same server: that proves an intact download, not the
 * release we tested.)
 *
 * How to bump (one commit, these three lines):
 *  1. Pick the release on https://nodejs.org/en/about/previous-releases (the newest v24 LTS patch).
 *  2. Fetch its checksums and their signature, and verify the signature against the Node.js release keys
 *     (the list is in https://github.com/nodejs/release-keys):
 *       curl -fsSLO https://nodejs.org/dist/vX.Y.Z/SHASUMS256.txt
 *       curl -fsSLO https://nodejs.org/dist/vX.Y.Z/SHASUMS256.txt.sig
 *       gpg --keyserver hkps://keys.openpgp.org --recv-keys <keys from nodejs/release-keys>
 *       gpg --verify SHASUMS256.txt.sig SHASUMS256.txt      # must say "Good signature"
 *  3. Copy the lines of node-vX.Y.Z-linux-x64.tar.xz and node-vX.Y.Z-linux-arm64.tar.xz below, run
 *     `npm test` (the component test checks the pin's shape), `npm run build && pulumi up`, and watch the
 *     next image build and its release (`npm run redeploy -- dev`).
 *
 * Staying current: infra/image/nodeSecurityReleases.json lists the 24.x security releases this repository
 * knows of (version, date, the page that announced it); test/infra/image/nodeRelease.test.ts fails while
 * NODE_VERSION is older than the newest of them. When Node.js announces a security release
 * (https://nodejs.org/en/blog/vulnerability), add its entry there in the same commit as the bump, or first,
 * to make CI say the pin is behind.
 *
 * The values below are v24.17.0's (the 24.x security release of 2026-06-18). They were NOT checked against
 * nodejs.org or its signature here (the machine this was written on has no internet access): they are the
 * sums that several independent public pins of v24.17.0 agree on, found by searching public repositories for
 * the file names. Verify them as in step 2 before the first deploy (docs/security.md, "Supply chain").
 * v24.22.1 (2026-10-21) is newer, and the check above fails until it is pinned: its sums could not be
 * found here from any source; take them from its signed SHASUMS256.txt as in step 2.
 */
export const NODE_VERSION = "24.17.0";

export const NODE_SHA256 = {
  x64: "ab343a1b747c7cbf3630dfd7dbf818c5423fab2eb4f5ad1afc896f6bd121a917",
  arm64: "67324b9e515e7d13da72571a5dd522bb23145a820f7dde15497897e466759ab3",
} as const;

export type NodeArch = keyof typeof NODE_SHA256;

export function nodeTarball(arch: NodeArch): { url: string; file: string; sha256: string } {
  const file = `node-v${NODE_VERSION}-linux-${arch}.tar.xz`;
  return { url: `https://nodejs.org/dist/v${NODE_VERSION}/${file}`, file, sha256: NODE_SHA256[arch] };
}
