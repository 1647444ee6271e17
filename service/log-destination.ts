/**
 * Where a worker's log lines go: stdout, written in batches instead of one write(2) per line. A profile
 * of GET / at LOG_LEVEL=info (node --cpu-prof) spent 35 % of the worker's CPU in the synchronous write
 * of each request's line; one write per turn of the event loop carries every line that turn produced.
 *
 * Lines are appended to a buffer, and written (synchronously, so nothing is left to a thread) once the
 * event loop has finished the current turn, or at once past MIN_BATCH_BYTES. On exit, for whatever
 * reason the process exits (a drain, process.exit, an uncaught exception that the primary will see as a
 * crash), the rest is written before the process ends. Only a SIGKILL loses lines: at most one turn's.
 */
import pino from "pino";

/** Past this many buffered bytes, write now: a turn that logs a lot does not grow the buffer without bound. */
const MIN_BATCH_BYTES = 4096;

export interface LogDestination {
  /** What pino writes to. */
  write(line: string): void;
  /** Writes what is buffered, synchronously. */
  flush(): void;
}

export function batchedStdout(fd = 1): LogDestination {
  // pino's own SonicBoom, synchronous: it retries EAGAIN on a full pipe (journald) instead of losing lines.
  const sink = pino.destination({ fd, sync: true, minLength: MIN_BATCH_BYTES });
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    sink.flush();
  };
  process.on("exit", flush);
  return {
    write(line) {
      sink.write(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
