/**
 * The PostgreSQL backend, where several server processes serve the same accounts from one database. Opening applies
 * the migrations the database lacks (migrate.ts) and registers this process (pg-processes.ts); attachment bytes and
 * the signed-link secret live in the database too, so every process can serve every link.
 */

import { ClawTellError, createSilentLogger, type Logger } from "../../../infra/index.js";
import type { FileStore } from "../../files.js";
import { createEnqueueSignal } from "../enqueue-signal.js";
import type { Storage } from "../storage.js";
import { applyMigrations } from "./migrate.js";
import { createPostgresApprovals } from "./pg-approvals.js";
import { openDatabase } from "./pg-database.js";
import { createPostgresDirectory } from "./pg-directory.js";
import { cacheKeyRecords } from "./pg-key-records.js";
import { storeError } from "./pg-errors.js";
import { createPostgresFileStore } from "./pg-files.js";
import { createPostgresIdempotency } from "./pg-idempotency.js";
import { createPostgresMessages } from "./pg-messages.js";
import { createProcessLeases } from "./pg-processes.js";
import { createPostgresQuotas } from "./pg-quotas.js";
import { createPostgresRegistrations } from "./pg-registrations.js";
import { createPostgresSealedRows } from "./pg-sealed-rows.js";
import { createPostgresSessions } from "./pg-sessions.js";
import { createPostgresReceipts } from "./pg-receipts.js";
import { createPostgresProfiles } from "./pg-profiles.js";
import { sharedSecret } from "./pg-secrets.js";
import { createPostgresWebhooks } from "./pg-webhooks.js";

export interface PostgresStorageOptions {
  /** `postgres://user@host:port/database`; `?options=-c search_path=…` in it chooses a schema too. */
  readonly url: string;
  readonly logger?: Logger;
  /** The schema the tables live in (created by the caller); the connection's search_path otherwise. */
  readonly schema?: string;
  /** Connections per process. @defaultValue 10 */
  readonly poolSize?: number;
  /** How long to wait for a connection before answering CT_UNAVAILABLE. @defaultValue 5000 */
  readonly connectTimeoutMs?: number;
  /** How often this process touches its heartbeat row. @defaultValue 1000 */
  readonly heartbeatIntervalMs?: number;
  /** A process whose heartbeat is older than this is dead, and its leases have ended. @defaultValue 5000 */
  readonly staleAfterMs?: number;
}

export interface PostgresStorage extends Storage {
  /** Attachment bytes, in the same database. */
  readonly files: FileStore;
  /** A secret all processes on the database share (the first to ask creates it). */
  sharedSecret(name: string): Promise<Uint8Array>;
}

/** Opens the pool, migrates, and registers this process; rejects with CT_UNAVAILABLE when the database is unreachable. */
export async function openPostgresStorage(opts: PostgresStorageOptions): Promise<PostgresStorage> {
  const logger = opts.logger ?? createSilentLogger();
  const db = openDatabase({
    url: opts.url,
    logger,
    ...(opts.schema === undefined ? {} : { schema: opts.schema }),
    ...(opts.poolSize === undefined ? {} : { poolSize: opts.poolSize }),
    ...(opts.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: opts.connectTimeoutMs }),
  });
  const processes = createProcessLeases(db, logger, {
    ...(opts.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: opts.heartbeatIntervalMs }),
    ...(opts.staleAfterMs === undefined ? {} : { staleAfterMs: opts.staleAfterMs }),
  });
  try {
    await applyMigrations(db.pool, logger).catch((err: unknown) => {
      throw storeError(err);
    });
    await processes.start();
  } catch (err) {
    await db.close();
    throw err;
  }
  const enqueued = createEnqueueSignal();
  const messages = createPostgresMessages(db, processes, { enqueued });
  const keyed = cacheKeyRecords(createPostgresDirectory(db), db.pool);
  let closing: Promise<void> | undefined;
  return {
    directory: keyed.directory,
    messages,
    approvals: createPostgresApprovals(db),
    quotas: createPostgresQuotas(db),
    registrations: createPostgresRegistrations(db),
    sessions: createPostgresSessions(db),
    webhooks: createPostgresWebhooks(db, processes, enqueued),
    receipts: createPostgresReceipts(db, enqueued),
    idempotency: createPostgresIdempotency(db),
    profiles: createPostgresProfiles(db),
    sealedRows: createPostgresSealedRows(db),
    files: createPostgresFileStore(db),
    sharedSecret: (name) => sharedSecret(db, name),
    async ping() {
      if (db.closed) throw new ClawTellError("CT_UNAVAILABLE", "the postgres storage is closed");
      await db.query("SELECT 1");
    },
    close() {
      closing ??= (async () => {
        try {
          await keyed.close();
          await messages.drain();
          await processes.stop().catch((err: unknown) => logger.warn({ err }, "could not unregister this server process"));
        } finally {
          await db.close();
        }
      })();
      return closing;
    },
  };
}
