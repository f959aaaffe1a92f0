/**
 * Chooses the notifier: Redis pub/sub when a Redis URL is given, PostgreSQL `LISTEN/NOTIFY` when only a database
 * (URL or pool) is, in-process otherwise.
 */

import pg from "pg";
import { ClawTellError, createSilentLogger, systemClock, type Clock, type Logger } from "../../infra/index.js";
import { createInProcessNotifier } from "./in-process.js";
import type { Notifier } from "./port.js";
import { createPostgresTransport } from "../store/postgres/pg-listen.js";
import { createRedisTransport } from "./redis-transport.js";
import { createRemoteNotifier } from "./remote.js";

export interface NotifierOptions {
  /** Redis for wake-ups across processes (wins over the database). */
  readonly redisUrl?: string;
  /** PostgreSQL for wake-ups across processes (`LISTEN/NOTIFY`) when there is no Redis. */
  readonly databaseUrl?: string;
  /** Instead of `databaseUrl`: a pool to take the listening connection from (it stays checked out) and to notify on. */
  readonly pool?: pg.Pool;
  /** Channel name; processes that serve one origin use the same. @defaultValue "clawtell:wake" */
  readonly channel?: string;
  /** How often waiters look again while the subscription is down. @defaultValue 1000 */
  readonly fallbackPollMs?: number;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

export const DEFAULT_CHANNEL = "clawtell:wake";
const CHANNEL_PATTERN = /^[A-Za-z0-9_.:-]{1,63}$/;

export function createNotifier(options: NotifierOptions = {}): Notifier {
  const logger = options.logger ?? createSilentLogger();
  const clock = options.clock ?? systemClock;
  const channel = options.channel ?? DEFAULT_CHANNEL;
  if (!CHANNEL_PATTERN.test(channel)) {
    throw new ClawTellError("CT_CONFIG_INVALID", "notifier channel: 1 to 63 letters, digits, '_', '.', ':' or '-'", { field: "channel" });
  }
  const remote = { logger, clock, ...(options.fallbackPollMs === undefined ? {} : { fallbackPollMs: options.fallbackPollMs }) };
  if (options.redisUrl !== undefined) {
    return createRemoteNotifier(createRedisTransport({ redisUrl: options.redisUrl, channel }), remote);
  }
  if (options.pool !== undefined || options.databaseUrl !== undefined) {
    const ownsPool = options.pool === undefined;
    const pool = options.pool ?? new pg.Pool({
        connectionString: options.databaseUrl,
        max: 2,
        // An unreachable database fails a publish (logged once) instead of piling publishes up.
        connectionTimeoutMillis: 5000,
        application_name: "clawtell-notify",
      });
    // An idle pooled connection that fails is dropped by the pool; this only keeps the error from going unhandled.
    if (ownsPool) pool.on("error", () => {});
    return createRemoteNotifier(createPostgresTransport({ pool, ownsPool, channel, clock }), remote);
  }
  return createInProcessNotifier(clock);
}
