import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { Writable } from "node:stream";
import { buildApp } from "../../service/app";
import { openSqliteBackend } from "../../service/jobs/sqlite/backend";
import type { SumPool } from "../../service/sum-pool";
import { tempDir } from "./helpers";

const noPool: SumPool = { sum: () => Promise.reject(new Error("unused")), close: async () => {} };

/**
 * GET over a raw socket that hangs up the moment the body's last byte has arrived, as a browser or curl may:
 * the download is complete, whatever the server was still doing.
 */
function downloadAndHangUp(port: number, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let head = "";
    let body = 0;
    let length = -1;
    socket.setTimeout(5_000, () => socket.destroy(new Error("timeout")));
    socket.on("error", reject);
    socket.on("data", (chunk: Buffer) => {
      if (length < 0) {
        head += chunk.toString("latin1");
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
        body = Buffer.byteLength(head.slice(end + 4), "latin1");
      } else body += chunk.length;
      if (body >= length) {
        socket.destroy();
        resolve(body);
      }
    });
    socket.write(`GET ${url} HTTP/1.1\r\nhost: localhost\r\nconnection: keep-alive\r\n\r\n`);
  });
}

describe("GET /results/…: a complete download is a complete request in the logs", function () {
  this.timeout(30_000);

  it("a client that hangs up right after the last byte is logged as a request, never as a premature close", async () => {
    const dir = tempDir();
    const resultsDir = path.join(dir, "results");
    fs.mkdirSync(path.join(resultsDir, "jobs"), { recursive: true });
    // Several read chunks (64 KiB each), like a rendered PNG.
    fs.writeFileSync(path.join(resultsDir, "jobs", "result.png"), Buffer.alloc(200_000, 7));
    const backend = await openSqliteBackend({ file: path.join(dir, "jobs.db"), resultsDir, maxAttempts: 3 });
    const lines: Array<{ msg: string; url?: string; statusCode?: number }> = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const l of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    const app = buildApp({
      apiMaxN: 10,
      pool: noPool,
      logger: { level: "info", stream },
      requestLog: { perRequest: true, slowMs: 60_000, summaryIntervalMs: 0 },
      jobs: { backend, maxBacklogS: 10_000, workerSlots: 1, resultsDir },
    });
    const downloads = 40;
    try {
      await app.listen({ port: 0, host: "127.0.0.1" });
      const { port } = app.server.address() as net.AddressInfo;
      for (let i = 0; i < downloads; i++) {
        assert.equal(await downloadAndHangUp(port, "/results/jobs/result.png"), 200_000);
      }
      // The server may still be finishing the last response when the client has gone.
      const deadline = Date.now() + 3_000;
      while (lines.filter((l) => l.msg === "request").length < downloads && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const other = lines.filter((l) => l.url !== undefined && l.msg !== "request");
      assert.deepEqual(other, [], "no premature close, no client abort");
      assert.equal(lines.filter((l) => l.msg === "request" && l.statusCode === 200).length, downloads);
    } finally {
      await app.close();
      await backend.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
