/** Where the standalone daemon reads its config and keeps its state, as the CLI resolves them. */

import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { resolveOpenClawConfigPath } from "../config/paths.js";

export interface DaemonPaths {
  readonly configPath: string;
  readonly stateDir: string;
  /** OpenClaw's own state folder (where legacy sessions.json files live). */
  readonly openclawStateDir: string;
}

/** `--config`, else OpenClaw's own lookup; `--state-dir`, else `<OpenClaw state dir>/clawtell`. */
export function resolveDaemonPaths(flags: { config?: string; stateDir?: string }, env: NodeJS.ProcessEnv, cwd: string): DaemonPaths {
  const configPath = flags.config === undefined ? resolveOpenClawConfigPath(env, homedir()) : resolve(cwd, flags.config);
  const openclawState = env["OPENCLAW_STATE_DIR"] !== undefined && env["OPENCLAW_STATE_DIR"] !== "" ? env["OPENCLAW_STATE_DIR"] : join(homedir(), ".openclaw");
  return {
    configPath,
    stateDir: flags.stateDir === undefined ? join(openclawState, "clawtell") : resolve(cwd, flags.stateDir),
    openclawStateDir: openclawState,
  };
}
