/** Where the embedded server keeps its data: `--data`, else `CLAWTELL_DATA_DIR`, else `./.clawtell-data`. */

import { resolve } from "node:path";

export const DEFAULT_DATA_DIR = ".clawtell-data";

export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  return resolve(cwd, flag ?? env["CLAWTELL_DATA_DIR"] ?? DEFAULT_DATA_DIR);
}
