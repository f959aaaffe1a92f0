/** Where openclaw.json is, as OpenClaw finds it: `OPENCLAW_CONFIG_PATH`, else `<state dir>/openclaw.json`. */

import { join } from "node:path";

export function resolveOpenClawConfigPath(env: NodeJS.ProcessEnv, homeDir: string): string {
  const explicit = env["OPENCLAW_CONFIG_PATH"];
  if (explicit !== undefined && explicit !== "") return explicit;
  const stateDir = env["OPENCLAW_STATE_DIR"];
  return join(stateDir !== undefined && stateDir !== "" ? stateDir : join(homeDir, ".openclaw"), "openclaw.json");
}
