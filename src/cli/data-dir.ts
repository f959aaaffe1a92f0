/** Where the embedded server keeps its data: `--data`, else `CLAWTELL_DATA_DIR`, else `./.clawtell-data`. */

import { resolve } from "node:path";
import { ClawTellError } from "../infra/errors.js";

export const DEFAULT_DATA_DIR = ".clawtell-data";

/** The absolute data folder for a `--data` flag (or its absence), the environment and the working directory. */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  return resolve(cwd, flag ?? env["CLAWTELL_DATA_DIR"] ?? DEFAULT_DATA_DIR);
}

const FS_PROBLEMS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "read-only file system",
  ENOTDIR: "a parent is not a folder",
  EEXIST: "exists and is not a folder",
  ENOSPC: "no space left on the device",
};

/** A file-system failure on the data folder becomes a one-line `--data` error; anything else is returned as is. */
export function explainDataDirError(err: unknown, dataDir: string): unknown {
  const code = err instanceof Error && "code" in err ? String(err.code) : "";
  const problem = FS_PROBLEMS[code];
  return problem === undefined
    ? err
    : new ClawTellError("CT_BAD_REQUEST", `--data: cannot use ${dataDir}: ${problem}`, { field: "data", cause: err });
}

/** The folder as a shell word, quoted when it has spaces or quotes (for hints the user may copy). */
export function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}

/**
 * How the user can run our bin: `npx clawtell` when this process came from an npm script of this package (a checkout,
 * where `clawtell` is not on the PATH), else `clawtell` (an installed package).
 */
export function binCommand(env: NodeJS.ProcessEnv): string {
  return env["npm_package_name"] === "openclaw-clawtell" ? "npx clawtell" : "clawtell";
}
