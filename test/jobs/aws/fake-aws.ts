/**
 * Small local fakes, over HTTP, of what a fleet worker asks AWS outside the job backend: IMDSv2 (a token
 * from PUT /latest/api/token, then GETs that must carry it, else 401) and the Auto Scaling query API
 * (form-encoded actions answered with the XML envelope the SDK parses). Each call is recorded. The Spot
 * notices (`spot/instance-action`, `events/recommendations/rebalance`) answer 404 until a test sets their body.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeAws {
  url: string;
  /** Auto Scaling actions received, with their form parameters. */
  calls: Array<Record<string, string>>;
  lifecycleState: string | undefined;
  /** Body of `spot/instance-action` (JSON `{action, time}`); undefined: 404, as on an instance not being interrupted. */
  spotAction: string | undefined;
  /** Body of `events/recommendations/rebalance` (JSON `{noticeTime}`); undefined: 404. */
  rebalance: string | undefined;
  tokensIssued: number;
  refusedWithoutToken: number;
  close(): Promise<void>;
}

export async function startFakeAws(): Promise<FakeAws> {
  const tokens = new Set<string>();
  const fake: FakeAws = {
    url: "",
    calls: [],
    lifecycleState: "InService",
    spotAction: undefined,
    rebalance: undefined,
    tokensIssued: 0,
    refusedWithoutToken: 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      if (req.method === "PUT" && req.url === "/latest/api/token") {
        if (!req.headers["x-aws-ec2-metadata-token-ttl-seconds"]) return void res.writeHead(400).end();
        const token = `token-${++fake.tokensIssued}`;
        tokens.add(token);
        return void res.writeHead(200).end(token);
      }
      if (req.method === "GET" && req.url?.startsWith("/latest/meta-data/")) {
        if (!tokens.has(String(req.headers["x-aws-ec2-metadata-token"]))) {
          fake.refusedWithoutToken++;
          return void res.writeHead(401).end();
        }
        const path = req.url.slice("/latest/meta-data/".length);
        const value =
          path === "instance-id"
            ? "i-0123456789abcdef0"
            : path === "autoscaling/target-lifecycle-state"
              ? fake.lifecycleState
              : path === "spot/instance-action"
                ? fake.spotAction
                : path === "events/recommendations/rebalance"
                  ? fake.rebalance
                  : undefined;
        return void (value === undefined ? res.writeHead(404).end() : res.writeHead(200).end(value));
      }
      if (req.method === "POST") {
        const params = Object.fromEntries(new URLSearchParams(body));
        fake.calls.push(params);
        const action = params.Action;
        res.writeHead(200, { "content-type": "text/xml" });
        return void res.end(
          `<${action}Response xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><${action}Result/>` +
            `<ResponseMetadata><RequestId>r-${fake.calls.length}</RequestId></ResponseMetadata></${action}Response>`,
        );
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
