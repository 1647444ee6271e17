/**
 * npx tsx bench/with-aws-emulators.ts -- <command...>
 *
 * Runs a command with JOBS_BACKEND=aws against fresh emulators on loopback: fauxqs (SQS + S3) and dynalite
 * (DynamoDB) on 127.0.0.1, a queue + DLQ (redrive at maxReceiveCount = JOBS_MAX_ATTEMPTS), a table
 * and a bucket, and the environment the infra would write (plus the SDK's AWS_ENDPOINT_URL_* and dummy
 * credentials). Stops the emulators when the command exits and exits with its code. The chaos run on AWS:
 *   npm run build && npx tsx bench/with-aws-emulators.ts -- npx tsx bench/chaos.ts --name chaos-aws
 */
import { spawn } from "node:child_process";
import { DEFAULT_MAX_ATTEMPTS } from "../service/jobs/timing";
import { startEmulators } from "./aws-emulators";

async function main(): Promise<number> {
  const separator = process.argv.indexOf("--");
  const command = separator >= 0 ? process.argv.slice(separator + 1) : [];
  if (command.length === 0) {
    process.stderr.write("usage: npx tsx bench/with-aws-emulators.ts -- <command...>\n");
    return 2;
  }
  const maxAttempts = Number(process.env.JOBS_MAX_ATTEMPTS ?? DEFAULT_MAX_ATTEMPTS);
  const emulators = await startEmulators();
  try {
    const env = {
      ...process.env,
      ...emulators.env,
      ...(await emulators.resources({ maxAttempts })),
      JOBS_BACKEND: "aws",
    };
    process.stderr.write(
      `with-aws-emulators: SQS+S3 ${emulators.env.AWS_ENDPOINT_URL_SQS}, DynamoDB ${emulators.env.AWS_ENDPOINT_URL_DYNAMODB}\n`,
    );
    const child = spawn(command[0]!, command.slice(1), { env, stdio: "inherit" });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    return await new Promise<number>((resolve) =>
      child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0))),
    );
  } finally {
    await emulators.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
