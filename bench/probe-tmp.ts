import { spawn } from "node:child_process";
import { openBackend } from "../service/jobs/open-backend";
(async () => {
  const b = await openBackend(process.env);
  const t0 = Date.now();
  for (let i = 0; i < 30; i++) await b.enqueue({ kind: "sum", input: { n: 20000000 + i } });
  console.error("enqueued", Date.now() - t0);
  const env = { ...process.env, FLEET_ROLE: "worker", WORKER_CONCURRENCY: "2", JOBS_VISIBILITY_TIMEOUT_S: "2" };
  const p = spawn(process.execPath, ["dist/service/main.js"], { env, stdio: ["ignore", "pipe", "pipe"] });
  const start = Date.now();
  p.stdout.on("data", (d: Buffer) => { for (const l of d.toString().split("\n")) if (l) { try { const j = JSON.parse(l); console.error(Date.now() - start, j.msg, j.jobId ?? "", j.err?.message ?? ""); } catch {} } });
  p.stderr.on("data", (d: Buffer) => console.error("STDERR", Date.now() - start, d.toString().trim()));
  await new Promise((r) => setTimeout(r, 12000));
  p.kill("SIGTERM");
  await new Promise((r) => p.on("exit", r));
  await b.close();
})();
