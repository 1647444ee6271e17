import { buildApp } from "./service/app";
import { randomUUID } from "node:crypto";
const jobs = new Map<string, any>();
const backend: any = {
  capabilities: {}, results: { put: async () => {}, url: (k: string) => `/results/${k}` },
  async enqueue(j: any) { const job = { id: randomUUID(), kind: j.kind, input: j.input, status: "queued", attempts: 0, progress: 0, createdAt: new Date().toISOString() }; jobs.set(job.id, job); return { job, created: true }; },
  async get(id: string) { return jobs.get(id); },
  async backlog() { return jobs.size; },
  async cancel(id: string) { const j = jobs.get(id); j.status = "canceled"; return j; },
};
const app = buildApp({ apiMaxN: 10, pool: {} as any, logger: false, jobs: { backend, maxBacklog: 3, workerSlots: 2, resultsDir: "/tmp" } });
(async () => {
  const post = (payload: any, headers: any = {}) => app.inject({ method: "POST", url: "/jobs", payload, headers });
  for (const p of [
    { kind: "sum", input: { n: 5 } },
    { kind: "nope", input: {} },
    { kind: "sum", input: { n: 1e12 } },
    { kind: "sum", input: { n: "5" } },
    { kind: "sum", input: { n: 5, x: 1 } },
    { kind: "sum", input: {} },
    { kind: "render", input: { width: 10, height: 10, view: { zom: 2 } } },
    { kind: "render", input: { width: 10, height: 10.5 } },
    { kind: "sum", input: { n: 5 }, extra: 1 },
    { kind: "sum" },
    "not json",
  ]) { const r = await post(p); console.log(r.statusCode, r.headers["retry-after"] ?? "", r.body); }
  let r = await app.inject({ method: "POST", url: "/jobs", payload: "{bad", headers: { "content-type": "application/json" } }); console.log(r.statusCode, r.body);
  r = await app.inject({ method: "POST", url: "/jobs", payload: "<x/>", headers: { "content-type": "application/xml" } }); console.log(r.statusCode, r.body);
  r = await app.inject({ method: "POST", url: "/jobs", payload: JSON.stringify({ kind: "sum", input: { n: 1, pad: "x".repeat(70000) } }), headers: { "content-type": "application/json" } }); console.log(r.statusCode, r.body);
  r = await app.inject({ method: "GET", url: "/jobs/xyz" }); console.log(r.statusCode, r.body);
  r = await app.inject({ method: "GET", url: "/jobs/" + randomUUID() }); console.log(r.statusCode, r.body);
  const id = [...jobs.keys()][0];
  r = await app.inject({ method: "GET", url: "/jobs/" + id + "?wait=1" }); console.log(r.statusCode, r.body);
  r = await app.inject({ method: "GET", url: "/jobs/" + id + "?wait=21" }); console.log(r.statusCode, r.body);
  r = await app.inject({ method: "GET", url: "/results/r.png" }); console.log(r.statusCode, r.headers["content-type"], r.body.length);
  r = await app.inject({ method: "GET", url: "/results/../etc/passwd" }); console.log(r.statusCode, r.body);
  r = await app.inject({ method: "GET", url: "/results/%2e%2e/etc/passwd" }); console.log(r.statusCode, r.body);
  await app.close();
})();
