/**
 * Where openclaw.json is, as OpenClaw finds it: `OPENCLAW_CONFIG_PATH`, else `$OPENCLAW_STATE_DIR/openclaw.json`,
 * else `<home>/.openclaw/openclaw.json`, where `OPENCLAW_HOME` replaces the home directory.
 */

import { join } from "node:path";

const set = (value: string | undefined): string | undefined => (value === undefined || value.trim() === "" ? undefined : value);

/** OpenClaw's state directory (`OPENCLAW_STATE_DIR`, else `<OPENCLAW_HOME or homeDir>/.openclaw`). */
export function resolveOpenClawStateDir(env: NodeJS.ProcessEnv, homeDir: string): string {
  return set(env["OPENCLAW_STATE_DIR"]) ?? join(set(env["OPENCLAW_HOME"]) ?? homeDir, ".openclaw");
}

/** The openclaw.json path; `homeDir` is injected (pass `os.homedir()`) so tests control it. */
export function resolveOpenClawConfigPath(env: NodeJS.ProcessEnv, homeDir: string): string {
  return set(env["OPENCLAW_CONFIG_PATH"]) ?? join(resolveOpenClawStateDir(env, homeDir), "openclaw.json");
}
