/**
 * Where a worker's log lines go: stdout, written in batches instead of one write(2) per line. A profile
 * of GET / at LOG_LEVEL=info (node --cpu-prof) spent 35 % of the worker's CPU in the synchronous write
 * of each request's line; one write per turn of the event loop carries every line that turn produced.
 *
 * Lines are appended to a buffer, and written (synchronously, so nothing is left to a thread) once the
 * event loop has finished the current turn, or at once past MIN_BATCH_BYTES. On exit, for whatever
 * reason the process exits (a drain, process.exit, an uncaught exception that the primary will see as a
 * crash), the rest is written before the process ends. Only a SIGKILL loses lines: at most one turn's.
 *
 * `LOG_FORMAT=pretty` (the default on a terminal) writes pino-pretty's lines instead, synchronously and in
 * this process (no transport thread), so a line is on the screen before the process can exit.
 */
import tty from "node:tty";
import pino from "pino";
import pretty from "pino-pretty";
import type { LogFormat } from "./config";

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

/** Pretty, human lines: local time, level names, the message first; the fields on the lines after it. */
export function prettyStdout(fd = 1): LogDestination {
  const stream = pretty({
    destination: fd,
    sync: true,
    // Colours for a terminal only: LOG_FORMAT=pretty into a file or a pipe stays plain text.
    colorize: tty.isatty(fd),
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "hostname",
  });
  // Every write reaches the synchronous destination before it returns: nothing is left to flush.
  return { write: (line) => void stream.write(line), flush: () => {} };
}

/** Where a process's log lines go, in the format chosen (config.ts logFormatFor). */
export function logDestination(format: LogFormat, fd = 1): LogDestination {
  return format === "pretty" ? prettyStdout(fd) : batchedStdout(fd);
}
