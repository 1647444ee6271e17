/**
 * FLEET_ROLE: which parts of fleet this process runs. `all` (the default, what `npm start` runs locally):
 * the web cluster and one job worker; `web`: the web cluster only (the web fleet's instances); `worker`:
 * the job worker only (the worker fleet's instances, `npm run worker`).
 */
import { ConfigError } from "./config";

export const FLEET_ROLES = ["all", "web", "worker"] as const;
export type FleetRole = (typeof FLEET_ROLES)[number];

export function parseFleetRole(env: Record<string, string | undefined> = process.env): FleetRole {
  const raw = env.FLEET_ROLE?.trim() || "all";
  if (!(FLEET_ROLES as readonly string[]).includes(raw)) {
    throw new ConfigError(
      `FLEET_ROLE=${JSON.stringify(env.FLEET_ROLE)} is invalid: expected one of ${FLEET_ROLES.join(", ")} ` +
        `(all runs the web cluster and a job worker)`,
    );
  }
  return raw as FleetRole;
}
