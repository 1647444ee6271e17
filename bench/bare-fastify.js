// Bare Fastify: the framework alone, under cluster like the others, answering GET / with the same JSON and
// the same response schema as the fleet's route, and no logger. What fleet costs beyond it is fleet's own
// work (logging, hooks, admission). Benchmark only; never shipped.
const cluster = require("node:cluster");
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
  const app = require("fastify")({ logger: false });
  app.get(
    "/",
    {
      schema: {
        response: {
          200: { type: "object", properties: { message: { type: "string" }, pid: { type: "integer" } } },
        },
      },
    },
    async () => ({ message: "Hello World!", pid: process.pid }),
  );
  app.listen({ port, host });
}
