/**
 * The pool the PostgreSQL backend queries through: parameterised statements only, connection failures answered as
 * CT_UNAVAILABLE (pg-errors.ts), and a refusal once closed.
 */

import pg from "pg";
import type { PoolClient, QueryResultRow } from "pg";
import { ClawTellError, type Logger } from "../../../infra/index.js";
import { storeError } from "./pg-errors.js";
import { decodeRow, encodeParam } from "./pg-text.js";

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

export interface Database {
  /** One statement; string parameters and columns pass through pg-text.ts (U+0000 is stored escaped). */
  query<R extends QueryResultRow>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs `work` inside one transaction on one connection. */
  transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T>;
  readonly pool: pg.Pool;
  readonly closed: boolean;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A `postgres://` URL. */
  readonly url: string;
  /** The schema the tables live in (its search_path on every connection); the URL's own search_path otherwise. */
  readonly schema?: string;
  /** @defaultValue 10 */
  readonly poolSize?: number;
  /** How long to wait for a connection before answering CT_UNAVAILABLE. @defaultValue 5000 */
  readonly connectTimeoutMs?: number;
  readonly logger: Logger;
}

/**
 * Statements run as named prepared statements: each connection parses and analyses a statement once, and PostgreSQL
 * may keep its plan, instead of doing both for every call. The backend's statements are a few dozen fixed texts;
 * `PREPARED_MAX` bounds the names all the same, and a text beyond it runs unnamed.
 */
const PREPARED_MAX = 256;
const statementNames = new Map<string, string>();
let namesGiven = 0;
const statementName = (sql: string): string | undefined => {
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < PREPARED_MAX) {
    name = `clawtell_${++namesGiven}`;
    statementNames.set(sql, name);
  }
  return name;
};
/**
 * A prepared statement whose result columns changed under it (a migration added a column to a table it reads with
 * `*`): PostgreSQL refuses it on every connection that prepared it. The text gets a new name, prepared afresh.
 */
const stalePlan = (err: unknown): boolean =>
  err instanceof Error && (err as { code?: unknown }).code === "0A000" && err.message.includes("cached plan must not change result type");

/**
 * The URL and the session settings every connection starts with: generic plans only, no sequential scans and no hash
 * or merge joins where an index serves, no JIT, and the schema when given.
 *
 * - Generic plans: PostgreSQL would otherwise plan some statements anew on every call (a custom plan costs less on
 *   paper when it knows the arrays' lengths), and planning the claim, the ack and the send cost more than running them.
 * - No sequential scans: a kept plan is made once per connection, often while the tables are still empty, when reading
 *   a whole table looks cheapest; it would go on reading the whole table once it has grown. The backend's statements
 *   are lookups by key, written so that their index is the one that serves them (pg-messages.ts).
 * - No hash or merge joins, for the same reason: the backend's joins look rows up by a key (a claim's update of the
 *   rows it picked, by seq), and on an empty table a hash join that reads the whole other side once looks as cheap as
 *   a lookup per row. A claim's plan made that way read every message in the table, at every claim.
 * - No JIT: it pays for long analytical queries only, and the cost the setting above gives a sequential scan that is
 *   still needed (a table without an index for the query) would make PostgreSQL compile a few-row statement.
 *
 * The settings travel in the startup packet (`options`), so they cost no statement. pg takes a URL's own `options`
 * over the pool's, so those of the URL are moved to the settings, before ours.
 */
function connectionSettings(url: string, schema: string | undefined): { connectionString: string; options: string } {
  const ours = [
    "-c plan_cache_mode=force_generic_plan",
    "-c enable_seqscan=off",
    "-c enable_hashjoin=off",
    "-c enable_mergejoin=off",
    "-c jit=off",
    ...(schema === undefined ? [] : [`-c search_path=${schema}`]),
  ];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { connectionString: url, options: ours.join(" ") };
  }
  const given = parsed.searchParams.get("options");
  if (given === null) return { connectionString: url, options: ours.join(" ") };
  parsed.searchParams.delete("options");
  return { connectionString: parsed.toString(), options: [given, ...ours].join(" ") };
}

export function openDatabase(opts: DatabaseOptions): Database {
  if (opts.schema !== undefined && !SCHEMA.test(opts.schema)) {
    throw new ClawTellError("CT_CONFIG_INVALID", `database schema: "${opts.schema}" is not a plain lower-case identifier`, { field: "schema" });
  }
  const pool = new pg.Pool({
    ...connectionSettings(opts.url, opts.schema),
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
    keepAlive: true,
  });
  // An idle connection that breaks (the database restarted, an operator ended it) is dropped by the pool; without a
  // listener the error would end the process.
  const onIdleError = (err: Error): void => opts.logger.warn({ err }, "an idle database connection failed; the pool replaces it");
  pool.on("error", onIdleError);
  let closed = false;
  const refuseClosed = (): void => {
    if (closed) throw new ClawTellError("CT_UNAVAILABLE", "the postgres storage is closed");
  };
  return {
    pool,
    get closed() {
      return closed;
    },
    async query<R extends QueryResultRow>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      refuseClosed();
      const values = params.map(encodeParam);
      try {
        try {
          return (await pool.query<R>({ name: statementName(sql), text: sql, values })).rows.map(decodeRow);
        } catch (err) {
          if (!stalePlan(err)) throw err;
          statementNames.delete(sql);
          return (await pool.query<R>({ name: statementName(sql), text: sql, values })).rows.map(decodeRow);
        }
      } catch (err) {
        throw storeError(err);
      }
    },
    async transaction(work) {
      refuseClosed();
      let client: PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw storeError(err);
      }
      let broken: unknown;
      try {
        await client.query("BEGIN");
        const result = await work(client);
        await client.query("COMMIT");
        return result;
      } catch (err) {
        try {
          await client.query("ROLLBACK");
        } catch (rollbackErr) {
          broken = rollbackErr;
        }
        throw storeError(err);
      } finally {
        // A connection that failed mid-transaction is not given back to the pool.
        client.release(broken === undefined ? undefined : true);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await pool.end();
      } finally {
        // pool.end() answers before its connections have finished closing: one cut off meanwhile (the database
        // stopping too) still reports to the pool, and an error event without a listener would end the process.
        pool.off("error", onIdleError);
        pool.on("error", () => undefined);
      }
    },
  };
}
