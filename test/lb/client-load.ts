/**
 * The suite's load: a fixed number of keep-alive clients, each sending its next request as soon as the
 * last one is answered, through the load balancer. Most send `GET /` and `GET /api/1000`, one sends
 * `GET /api/300000000` (about 0.3 s of CPU), as in issue 9. Every request is recorded, so each phase can
 * be judged on the requests that started in it.
 */
import http from "node:http";
import { httpGet } from "../../bench/load";

export interface RequestRecord {
  path: string;
  startedAt: number;
  endedAt: number;
  status: number;
  /** The worker that answered (from the body), when it did. */
  pid?: number;
  error?: string;
}

export const isFailure = (r: RequestRecord) => r.status !== 200;

export interface ClientLoad {
  records: RequestRecord[];
  /** Is every request sent before `t` (performance.now()) answered? */
  settled(t: number): boolean;
  stop(): Promise<void>;
}

/** A big request: 0.3 s of summing, the work the old admission refused by count. */
export const BIG_PATH = "/api/300000000";

export function startClientLoad(options: {
  port: number;
  clients: number;
  maxMs: number;
  timeoutMs?: number;
}): ClientLoad {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.clients });
  const records: RequestRecord[] = [];
  const pending = new Set<number>();
  let stopped = false;
  const deadline = Date.now() + options.maxMs;
  const client = async (id: number) => {
    for (let i = 0; !stopped && Date.now() < deadline; i++) {
      const path = id === 0 ? BIG_PATH : i % 2 ? "/api/1000" : "/";
      const startedAt = performance.now();
      pending.add(startedAt);
      const r = await httpGet(`http://127.0.0.1:${options.port}${path}`, options.timeoutMs ?? 10_000, agent);
      pending.delete(startedAt);
      let pid: number | undefined;
      if (r.status === 200) pid = (JSON.parse(r.body) as { pid?: number }).pid;
      records.push({
        path,
        startedAt,
        endedAt: performance.now(),
        status: r.status,
        pid,
        error: r.error ?? (r.status !== 200 ? r.body.slice(0, 200) : undefined),
      });
    }
  };
  const clients = Array.from({ length: options.clients }, (_, id) => client(id));
  return {
    records,
    settled: (t) => ![...pending].some((startedAt) => startedAt < t),
    async stop() {
      stopped = true;
      await Promise.all(clients);
      agent.destroy();
    },
  };
}
