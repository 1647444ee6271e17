// The ceiling: a bare node:http server on every core under cluster, answering GET / with the same JSON
// body as the fleet ({"message":"Hello World!","pid":N}), nothing else in the way. No framework, no
// logging, no routing. Benchmark only; never shipped.
const cluster = require("node:cluster");
const http = require("node:http");
const os = require("node:os");

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || "127.0.0.1";
const workers = Number(process.env.WEB_CONCURRENCY || os.availableParallelism());

if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on("SIGTERM", () => {
    for (const w of Object.values(cluster.workers)) w.kill("SIGTERM");
    process.exit(0);
  });
} else {
  const body = JSON.stringify({ message: "Hello World!", pid: process.pid });
  http
    .createServer((req, res) => {
      res.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(body),
      });
      res.end(body);
    })
    .listen(port, host);
}
