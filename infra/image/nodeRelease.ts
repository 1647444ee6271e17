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
 * The values below are v24.11.1's. They were NOT checked against nodejs.org or its signature here (the
 * machine this was written on has no internet access); they match two independent public pins of the same
 * release. Verify them as in step 2 before the first deploy (README, "What has and has not been verified").
 */
export const NODE_VERSION = "24.11.1";

export const NODE_SHA256 = {
  x64: "60e3b0a8500819514aca603487c254298cd776de0698d3cd08f11dba5b8289a8",
  arm64: "6b0863fb9f627bf4a6c5948dce1de4398174a2e05dbe717503d828e211ca01f0",
} as const;

export type NodeArch = keyof typeof NODE_SHA256;

export function nodeTarball(arch: NodeArch): { url: string; file: string; sha256: string } {
  const file = `node-v${NODE_VERSION}-linux-${arch}.tar.xz`;
  return { url: `https://nodejs.org/dist/v${NODE_VERSION}/${file}`, file, sha256: NODE_SHA256[arch] };
}
