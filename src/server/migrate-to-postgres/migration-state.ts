/**
 * What makes a migration run again select the same messages: the moment its first run chose (the retention windows
 * are counted back from it), kept in the data folder per target. A run against another target chooses afresh.
 */

import { join } from "node:path";
import { readFileIfExists, writeFileDurable } from "../../infra/index.js";

export const MIGRATION_STATE_FILE = "migrate-to-postgres.json";

/** The target named without its password: what the state file compares. */
export function targetIdentity(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    return parsed.toString();
  } catch {
    return "";
  }
}

/** The moment the selection counts back from: the earlier run's for the same target, else `now`. */
export async function selectionMoment(dataDir: string, url: string, now: number): Promise<{ at: number; resumed: boolean }> {
  const text = await readFileIfExists(join(dataDir, MIGRATION_STATE_FILE));
  if (text !== undefined) {
    try {
      const state = JSON.parse(text) as { target?: unknown; at?: unknown };
      if (state.target === targetIdentity(url) && typeof state.at === "number") return { at: state.at, resumed: true };
    } catch {
      // An unreadable state file is replaced by a fresh one.
    }
  }
  return { at: now, resumed: false };
}

export async function rememberSelectionMoment(dataDir: string, url: string, at: number): Promise<void> {
  await writeFileDurable(join(dataDir, MIGRATION_STATE_FILE), `${JSON.stringify({ target: targetIdentity(url), at })}\n`);
}
