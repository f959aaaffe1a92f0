/**
 * Counters the scale-out benchmark reads before and after a phase: PostgreSQL's per-database and per-table
 * statistics and its WAL position, Redis's command counts and memory, and a server's request counts from /metrics.
 */
import type pg from "pg";
import type { Redis } from "ioredis";

export interface PgCounters {
  /** Committed + rolled-back transactions in the round's database. */
  xacts: number;
  /** Per table: rows inserted, updated (of which HOT), deleted, and scans (sequential + index). */
  tables: Map<string, { ins: number; upd: number; hot: number; del: number; scans: number }>;
  /** pg_current_wal_lsn() as a byte position (cluster-wide: other databases on the server write WAL too). */
  walBytes: number;
}

/**
 * The database's transaction count is read through `outside` (a connection to another database, so the reading is
 * not counted itself); the table statistics through `inside` (they are visible only there: each reading adds one
 * transaction to the count, which the caller accounts for).
 */
export async function readPg(outside: pg.Client, inside: pg.Client, database: string): Promise<PgCounters> {
  const [db] = (
    await outside.query<{ xacts: string; wal: string }>(
      "SELECT (xact_commit + xact_rollback)::text AS xacts, (pg_current_wal_lsn() - '0/0'::pg_lsn)::text AS wal FROM pg_stat_database WHERE datname = $1",
      [database],
    )
  ).rows;
  const client = inside;
  const tables = new Map<string, { ins: number; upd: number; hot: number; del: number; scans: number }>();
  const rows = await client.query<{ relname: string; ins: string; upd: string; hot: string; del: string; scans: string }>(
    `SELECT relname, n_tup_ins::text AS ins, n_tup_upd::text AS upd, n_tup_hot_upd::text AS hot, n_tup_del::text AS del,
       (coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::text AS scans FROM pg_stat_user_tables`,
  );
  for (const r of rows.rows) {
    tables.set(r.relname, { ins: Number(r.ins), upd: Number(r.upd), hot: Number(r.hot), del: Number(r.del), scans: Number(r.scans) });
  }
  return { xacts: Number(db?.xacts ?? Number.NaN), tables, walBytes: Number(db?.wal ?? Number.NaN) };
}

/** Differences after − before, per table and in total. */
export function pgDelta(before: PgCounters, after: PgCounters): PgCounters {
  const tables = new Map<string, { ins: number; upd: number; hot: number; del: number; scans: number }>();
  for (const [name, a] of after.tables) {
    const b = before.tables.get(name) ?? { ins: 0, upd: 0, hot: 0, del: 0, scans: 0 };
    tables.set(name, { ins: a.ins - b.ins, upd: a.upd - b.upd, hot: a.hot - b.hot, del: a.del - b.del, scans: a.scans - b.scans });
  }
  return { xacts: after.xacts - before.xacts, tables, walBytes: after.walBytes - before.walBytes };
}

/** Calls per command so far (INFO commandstats); read on one connection so its own HELLO is not counted twice. */
export async function redisCommands(probe: Redis): Promise<Map<string, number>> {
  const info = await probe.info("commandstats");
  const counts = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_(\S+):calls=(\d+)/gm)) counts.set(match[1] ?? "", Number(match[2]));
  return counts;
}

/** Commands between two readings, without the INFO calls of the measurement itself: total and per command. */
export function redisDelta(before: Map<string, number>, after: Map<string, number>): { total: number; byCommand: Map<string, number> } {
  const byCommand = new Map<string, number>();
  let total = 0;
  for (const [name, calls] of after) {
    if (name === "info") continue;
    const delta = calls - (before.get(name) ?? 0);
    if (delta > 0) byCommand.set(name, delta);
    total += delta;
  }
  return { total, byCommand };
}

export async function redisUsedMemory(probe: Redis): Promise<number> {
  const info = await probe.info("memory");
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
}

/** Requests a server has answered per route so far (`clawtell_http_request_duration_seconds_count` of /metrics). */
export async function routeCounts(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/^clawtell_http_request_duration_seconds_count\{([^}]*)\} (\d+)/gm)) {
    const route = /route="([^"]*)"/.exec(m[1] ?? "")?.[1] ?? "";
    const method = /method="([^"]*)"/.exec(m[1] ?? "")?.[1] ?? "";
    counts.set(`${method} ${route}`, (counts.get(`${method} ${route}`) ?? 0) + Number(m[2]));
  }
  return counts;
}

export const describeCounts = (counts: ReadonlyMap<string, number>): string =>
  [...counts].map(([name, n]) => `${name} ${n}`).join(", ") || "none";

/** Keys in Redis and the bytes they take (MEMORY USAGE of each; the bench's Redis holds only a few). */
export async function redisKeyBytes(probe: Redis): Promise<{ keys: number; bytes: number }> {
  let cursor = "0";
  let keys = 0;
  let bytes = 0;
  do {
    const [next, found] = await probe.scan(cursor, "COUNT", 1000);
    cursor = next;
    for (const key of found) {
      keys++;
      bytes += Number((await probe.memory("USAGE", key)) ?? 0);
    }
  } while (cursor !== "0");
  return { keys, bytes };
}
