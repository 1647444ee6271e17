/**
 * Entry point, `node dist/service/main.js`: the primary validates the environment before any fork, then
 * runs what FLEET_ROLE asks for: the web cluster (web), a job worker (worker, `npm run worker`), or both
 * (all, the default: the primary supervises the web workers and one job-worker child).
 */
import cluster from "node:cluster";
import pino from "pino";
import { runPrimary } from "./cluster";
import { ConfigError, loadConfig, logFormatFor, type ServiceConfig } from "./config";
import { logDestination } from "./log-destination";
import { HEALTH_CHECK_WINDOW_MS } from "./timing";
import { ensureDataDirs, loadJobSchedules, loadJobsConfig, type JobsConfig } from "./jobs/config";
import type { JobSchedule } from "./jobs/schedules";
import { loadAwsJobsConfig, type AwsJobsConfig } from "./jobs/aws/config";
import { fleetWorkerProcessHooks, loadAwsWorkerHooksConfig, type AwsWorkerHooksConfig } from "./jobs/aws/worker-hooks";
import { openBackend } from "./jobs/open-backend";
import { superviseJobWorker } from "./jobs/supervisor";
import { loadWorkerProcessConfig, runWorkerProcess, type WorkerProcessConfig } from "./jobs/worker-process";
import { parseFleetRole, type FleetRole } from "./role";
import { runWorker } from "./worker";

interface Settings {
  config: ServiceConfig;
  role: FleetRole;
  jobs: JobsConfig;
  /** JOBS_SCHEDULES, checked by the primary before any fork. */
  schedules: JobSchedule[];
  worker: WorkerProcessConfig;
  /** JOBS_BACKEND=aws: its resources, checked here so a bad one exits 1 before any fork. */
  aws?: { jobs: AwsJobsConfig; fleetWorker?: AwsWorkerHooksConfig };
}

function readSettings(): Settings {
  try {
    const role = parseFleetRole();
    const jobs = loadJobsConfig();
    // Before any fork: a data directory that cannot be made is one line and exit 1, not a crash loop.
    if (cluster.isPrimary && jobs.backend === "sqlite") ensureDataDirs(jobs);
    return {
      config: loadConfig(),
      role,
      jobs,
      schedules: loadJobSchedules(),
      // Arguments belong to the job worker alone: a process manager (pm2) passes its own to the web tier.
      worker: loadWorkerProcessConfig(process.env, role === "worker" ? process.argv.slice(2) : []),
      aws:
        jobs.backend === "aws"
          ? { jobs: loadAwsJobsConfig(process.env), fleetWorker: loadAwsWorkerHooksConfig(process.env) }
          : undefined,
    };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`fleet: ${err.message}\n`);
    process.exit(1);
  }
}

const fail = (who: string) => (err: unknown) => {
  process.stderr.write(`fleet ${who}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
};

const { config, role, jobs, schedules, worker, aws } = readSettings();
const logFormat = logFormatFor(config.logFormat, process.stdout.isTTY === true);
if (cluster.isPrimary && role === "worker") {
  // Synchronous writes: a worker killed with -9 right after a job's commit still has its "job succeeded"
  // line out (pino's default stream writes asynchronously). A few lines per job cost nothing here.
  const log = pino(
    { level: config.logLevel, base: { pid: process.pid, role: "job-worker" } },
    logFormat === "pretty" ? logDestination("pretty") : pino.destination({ dest: 1, sync: true }),
  );
  openBackend(process.env, jobs)
    .then(async (backend) =>
      runWorkerProcess({
        ...(aws ? await fleetWorkerProcessHooks(aws.fleetWorker, aws.jobs.region, log) : {}),
        backend,
        concurrency: jobs.workerConcurrency,
        leaseMs: jobs.visibilityTimeoutS * 1000,
        jobTimeoutMs: jobs.timeoutS * 1000,
        drainTimeoutMs: worker.drainTimeoutS * 1000,
        once: worker.once,
        schedules: { list: schedules, catchUpWindowMs: jobs.retentionS * 1000 },
        log,
      }),
    )
    .then((code) => process.exit(code), fail("job worker"));
} else if (cluster.isPrimary) {
  const log = pino(
    { level: config.logLevel, base: { pid: process.pid, role: "primary" } },
    logFormat === "pretty" ? logDestination("pretty") : pino.destination({ dest: 1, sync: true }),
  );
  const web = runPrimary({
    workers: config.webConcurrency,
    jobWorkers: role === "all" ? 1 : 0,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    lingerMaxMs: HEALTH_CHECK_WINDOW_MS,
    log,
  });
  const jobWorker =
    role === "all"
      ? superviseJobWorker({
          script: process.argv[1]!,
          env: { ...process.env, FLEET_ROLE: "worker" },
          log,
          drainTimeoutMs: worker.drainTimeoutS * 1000,
        })
      : undefined;
  // The web cluster may stop on its own (a crash loop, a start-up failure): the job worker goes with it.
  void web.then(() => jobWorker?.stop("the web cluster stopped"));
  Promise.all([web, jobWorker?.done ?? 0]).then(([webCode, jobsCode]) => {
    const code = Math.max(webCode, jobsCode);
    log.info({ code }, "primary exiting");
    process.exit(code);
  });
} else {
  openBackend(process.env, jobs)
    .then((backend) =>
      runWorker(config, {
        backend,
        maxBacklogS: jobs.maxBacklogS,
        clientQuotaS: jobs.clientQuotaS,
        jobTimeoutS: jobs.timeoutS,
        maxWaiters: jobs.maxWaiters,
        workerSlots: jobs.workerSlots,
        resultsDir: jobs.backend === "sqlite" ? jobs.resultsDir : undefined,
      }),
    )
    .catch(fail(`worker ${cluster.worker?.id}`));
}
