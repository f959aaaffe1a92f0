/**
 * Applies the migrations a database lacks, each once, however many processes open it at the same moment: they queue on
 * one advisory lock (per schema), and each reads `schema_migrations` only once it holds it.
 */

import type { Pool } from "pg";
import type { Logger } from "../../../infra/index.js";
import { MIGRATIONS, type Migration } from "./migrations.js";

/** Answers the versions this call applied (none when another process, or an earlier start, applied them all). */
export async function applyMigrations(pool: Pool, logger: Logger, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query("SELECT pg_advisory_lock(hashtext(current_schema() || ':clawtell-migrations'))");
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const done = new Set((await client.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version));
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(migration.version)) continue;
        await client.query("BEGIN");
        try {
          await client.query(migration.sql);
          await client.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name]);
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK");
          throw err;
        }
        applied.push(migration.version);
        logger.info({ version: migration.version, migration: migration.name }, "applied a database migration");
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext(current_schema() || ':clawtell-migrations'))");
    }
  } finally {
    client.release();
  }
  return applied;
}
