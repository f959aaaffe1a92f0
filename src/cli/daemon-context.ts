/**
 * Where the standalone daemon reads its config and keeps its state, as the CLI resolves them. A daemon records the
 * state folder it uses for its config file (`<OpenClaw state dir>/clawtell/daemons/<hash>.json`), so `status`,
 * `queue` and `dead-letters` given the same `--config` find its queues without `--state-dir`.
 */

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { resolveOpenClawConfigPath, resolveOpenClawStateDir } from "../config/paths.js";
import { ensureDir, writeFileDurable } from "../infra/index.js";

export interface DaemonPaths {
  readonly configPath: string;
  readonly stateDir: string;
  /** OpenClaw's own state folder (where legacy sessions.json files live). */
  readonly openclawStateDir: string;
  /** Where `stateDir` came from: the flag, the folder a daemon recorded for this config, or the default. */
  readonly stateDirFrom: "flag" | "recorded" | "default";
}

const RecordSchema = z.object({ configPath: z.string(), stateDir: z.string() });

/** The file in which a daemon records the state folder of `configPath`. */
export const daemonRecordOf = (openclawStateDir: string, configPath: string): string =>
  join(openclawStateDir, "clawtell", "daemons", `${createHash("sha256").update(configPath).digest("hex").slice(0, 16)}.json`);

function recordedStateDir(openclawStateDir: string, configPath: string): string | undefined {
  try {
    const record = RecordSchema.parse(JSON.parse(readFileSync(daemonRecordOf(openclawStateDir, configPath), "utf8")));
    return record.configPath === configPath ? record.stateDir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `--config`, else OpenClaw's own lookup; `--state-dir`, else the folder a daemon last used for this config, else
 * `<OpenClaw state dir>/clawtell`. OpenClaw's state dir is `OPENCLAW_STATE_DIR`, else `<OPENCLAW_HOME or ~>/.openclaw`.
 */
export function resolveDaemonPaths(flags: { config?: string; stateDir?: string }, env: NodeJS.ProcessEnv, cwd: string, homeDir: string = homedir()): DaemonPaths {
  const configPath = flags.config === undefined ? resolveOpenClawConfigPath(env, homeDir) : resolve(cwd, flags.config);
  const openclawStateDir = resolveOpenClawStateDir(env, homeDir);
  if (flags.stateDir !== undefined) return { configPath, stateDir: resolve(cwd, flags.stateDir), openclawStateDir, stateDirFrom: "flag" };
  const recorded = recordedStateDir(openclawStateDir, configPath);
  if (recorded !== undefined) return { configPath, stateDir: recorded, openclawStateDir, stateDirFrom: "recorded" };
  return { configPath, stateDir: join(openclawStateDir, "clawtell"), openclawStateDir, stateDirFrom: "default" };
}

/** Records the daemon's state folder for its config (the operator commands read it). */
export async function recordDaemonPaths(paths: DaemonPaths): Promise<void> {
  const file = daemonRecordOf(paths.openclawStateDir, paths.configPath);
  await ensureDir(dirname(file));
  await writeFileDurable(file, JSON.stringify({ configPath: paths.configPath, stateDir: paths.stateDir }));
}
