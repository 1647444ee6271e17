// The baseline that this project replaces, written the way the classic "Node.js clustering" tutorial
// writes it: Express under a plain cluster.fork() loop, the sum computed in the request handler with a
// plain loop (which blocks the worker's event loop, and is inexact above 2^53). Benchmark only; never shipped.
// The one addition is GET /healthcheck, so the bench can show what a blocked event loop does to it.
const express = require("express");
const cluster = require("cluster");
const totalCPUs = require("os").cpus().length;

const port = process.env.PORT || 3000;
const host = process.env.HOST || "127.0.0.1";

if (cluster.isPrimary) {
  console.log(`Number of CPUs is ${totalCPUs}`);
  console.log(`Master ${process.pid} is running`);

  // Fork workers.
  for (let i = 0; i < totalCPUs; i++) {
    cluster.fork();
  }

  cluster.on("exit", (worker) => {
    console.log(`worker ${worker.process.pid} died`);
    console.log("Let's fork another worker!");
    cluster.fork();
  });
} else {
  const app = express();
  console.log(`Worker ${process.pid} started`);

  app.get("/", (req, res) => {
    res.send("Hello World!");
  });

  app.get("/healthcheck", (req, res) => {
    res.send("ok");
  });

  app.get("/api/:n", function (req, res) {
    let n = parseInt(req.params.n);
    let count = 0;

    if (n > 5000000000) n = 5000000000;

    for (let i = 0; i <= n; i++) {
      count += i;
    }

    res.send(`Final count is ${count}`);
  });

  app.listen(port, host, () => {
    console.log(`App listening on port ${port}`);
  });
}
