/**
 * What `clawtell admin` commands open: the database when `--database` is given or `$CLAWTELL_DATABASE_URL` is set,
 * else the data folder (`--data`), beside a running server either way; closed again when the command is done.
 */

import type { AdminStores } from "../../server/administration.js";
import { explainDataDirError, resolveDataDir } from "../data-dir.js";

export interface StorageFlags {
  data?: string;
  database?: string;
  masterKeyFile?: string;
  json?: boolean;
}

/** The PostgreSQL database the flags name: `--database`, else `$CLAWTELL_DATABASE_URL`; undefined for a data folder. */
export function databaseOf(opts: { database?: string }): string | undefined {
  return opts.database ?? (process.env["CLAWTELL_DATABASE_URL"]?.trim() || undefined);
}

/** The master key flags and `$CLAWTELL_MASTER_KEY`, as the server is told them. */
export function masterKeyOptions(opts: StorageFlags): { masterKey?: string; masterKeyFile?: string } {
  const masterKey = process.env["CLAWTELL_MASTER_KEY"]?.trim() || undefined;
  return { ...(masterKey === undefined ? {} : { masterKey }), ...(opts.masterKeyFile === undefined ? {} : { masterKeyFile: opts.masterKeyFile }) };
}

/** Opens the directory, approval queue and quotas the flags name, runs `work` on them, and closes them. */
export async function withAdminStores<T>(opts: StorageFlags, work: (stores: AdminStores) => Promise<T>): Promise<T> {
  const { openEmbeddedAdminStores, openPostgresStorage, openSealedAdminStores } = await import("../../server/administration.js");
  const database = databaseOf(opts);
  const keys = masterKeyOptions(opts);
  if (database !== undefined) {
    const storage = await openPostgresStorage({ url: database });
    try {
      return await work(openSealedAdminStores(storage, { ...keys, database }));
    } finally {
      await storage.close();
    }
  }
  const dataDir = resolveDataDir(opts.data, process.env, process.cwd());
  let opened: ReturnType<typeof openEmbeddedAdminStores>;
  try {
    opened = openEmbeddedAdminStores({ dataDir });
  } catch (err) {
    throw explainDataDirError(err, dataDir);
  }
  try {
    return await work(openSealedAdminStores(opened, { ...keys, dataDir }));
  } finally {
    await opened.close();
  }
}
