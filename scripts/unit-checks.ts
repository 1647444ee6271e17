/**
 * What "the instance starts" means, checked on the units the image installs (infra/image/serviceUnit.ts),
 * each run by scripts/unit-start.ts as on an instance launched from the AMI without user data:
 *
 *  - fleet.service (web): `/healthcheck` answers 200 within START_TIMEOUT_MS; then, on SIGTERM, the service
 *    lingers and drains and exits 0 within STOP_TIMEOUT_MS;
 *  - fleet-worker.service (job worker), a clean idle start: it logs "job worker ready" within
 *    START_TIMEOUT_MS, is still running IDLE_MS later (no crash, no exit while idle), and on SIGTERM logs
 *    "job worker stopped" and exits 0 within STOP_TIMEOUT_MS. Without AWS it runs the embedded backend,
 *    so it must also have opened it in the state directory (jobs.db there);
 *  - both: nothing on stderr, no log line at warn level or above (pino level >= 40), and an optional
 *    environment file only (`EnvironmentFile=-…`): a required one does not exist on such an instance.
 *
 * Every shortfall is one problem naming the unit, the field (unit setting or behaviour) and what happened.
 */
import { HEALTH_CHECK_PATH } from "../service/timing";
import { renderServiceUnit, renderWorkerUnit, LAYOUT } from "../infra/image/serviceUnit";
import { freePort, httpStatus, parseUnit, startUnit, waitFor, type SandboxKind, type StartedUnit } from "./unit-start";
import * as fs from "node:fs";
import * as path from "node:path";

export const START_TIMEOUT_MS = 30_000;
export const IDLE_MS = 2_000;
export const STOP_TIMEOUT_MS = 20_000;
/** pino's warn level: a clean start logs nothing at or above it. */
const WARN_LEVEL = 40;

export interface UnitProblem {
  unit: string;
  field: string;
  message: string;
}

/** The problems common to both units once they have run: stderr, warnings, errors. */
function outputProblems(unit: string, run: StartedUnit): UnitProblem[] {
  const out: UnitProblem[] = [];
  const err = run.stderr().trim();
  if (err) out.push({ unit, field: "stderr", message: `wrote to stderr: ${tail(err)}` });
  for (const l of run.lines.filter((l) => Number(l.level) >= WARN_LEVEL))
    out.push({
      unit,
      field: "log",
      message: `logged at level ${l.level}: ${String(l.msg)}${l.err ? ` (${l.err.message ?? ""})` : ""}`,
    });
  return out;
}

function tail(text: string, lines = 4): string {
  return text.split("\n").slice(-lines).join(" | ");
}

function envFileProblems(unit: string, files: string[]): UnitProblem[] {
  return files
    .filter((f) => !f.startsWith("-"))
    .map((f) => ({
      unit,
      field: "EnvironmentFile",
      message: `${f} is required, but an instance launched without user data has none: systemd would not start the unit (prefix it with -)`,
    }));
}

const hasMsg = (run: StartedUnit, msg: string) => run.lines.some((l) => l.msg === msg);

/** Runs the web unit and returns its problems (none: it started, answered 200 and stopped cleanly). */
export async function checkWebUnit(
  root: string,
  sandbox: SandboxKind,
  unitText = renderServiceUnit(),
): Promise<UnitProblem[]> {
  const unit = LAYOUT.unitName;
  const spec = parseUnit(unitText);
  const port = await freePort();
  const run = startUnit(spec, { root, sandbox, overrides: { PORT: String(port), HOST: "127.0.0.1" } });
  const problems = envFileProblems(unit, spec.environmentFiles);
  try {
    let last = 0;
    const healthy = await waitFor(
      async () => (last = await httpStatus(port, HEALTH_CHECK_PATH)) === 200,
      START_TIMEOUT_MS,
      // A crash or an error line: the start is not clean; stop waiting soon after.
      () => run.hasExited() || run.stderr().length > 0,
    );
    if (!healthy)
      problems.push({
        unit,
        field: "start",
        message: `${HEALTH_CHECK_PATH} did not answer 200 (last: ${last || "no answer"})${run.hasExited() ? "; the service exited" : ""}`,
      });
    const code = await run.stop(STOP_TIMEOUT_MS);
    if (healthy && code !== 0)
      problems.push({ unit, field: "stop", message: `exited ${code ?? "on a signal"} after SIGTERM, not 0` });
    problems.push(...outputProblems(unit, run));
    return problems;
  } finally {
    run.cleanup();
  }
}

/** Runs the worker unit and returns its problems (none: a clean idle start and a clean stop). */
export async function checkWorkerUnit(
  root: string,
  sandbox: SandboxKind,
  unitText = renderWorkerUnit(),
): Promise<UnitProblem[]> {
  const unit = LAYOUT.workerUnitName;
  const spec = parseUnit(unitText);
  const run = startUnit(spec, { root, sandbox });
  const problems = envFileProblems(unit, spec.environmentFiles);
  try {
    const ready = await waitFor(
      () => hasMsg(run, "job worker ready"),
      START_TIMEOUT_MS,
      () => run.hasExited(),
    );
    if (!ready)
      problems.push({
        unit,
        field: "start",
        message: `never logged "job worker ready"${run.hasExited() ? "; it exited" : ""}`,
      });
    else {
      await new Promise((r) => setTimeout(r, IDLE_MS));
      if (run.hasExited())
        problems.push({ unit, field: "idle", message: `exited while idle, ${IDLE_MS} ms after it was ready` });
      if (!fs.existsSync(path.join(run.stateDir, "jobs.db")))
        problems.push({
          unit,
          field: "StateDirectory",
          message: "the embedded backend did not open its database in the state directory",
        });
    }
    const code = await run.stop(STOP_TIMEOUT_MS);
    if (ready && (code !== 0 || !hasMsg(run, "job worker stopped")))
      problems.push({
        unit,
        field: "stop",
        message: `after SIGTERM: exit ${code ?? "on a signal"}, "job worker stopped" ${hasMsg(run, "job worker stopped") ? "" : "not "}logged`,
      });
    problems.push(...outputProblems(unit, run));
    return problems;
  } finally {
    run.cleanup();
  }
}
