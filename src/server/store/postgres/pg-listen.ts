/**
 * PostgreSQL `LISTEN/NOTIFY` on one channel: one connection per process holds `LISTEN` and is otherwise idle (no
 * query while nobody sends); a send is one `SELECT pg_notify($1, $2)` on the pool. When the listening connection is
 * lost it is dropped from the pool and a new one listens after a short pause. The remote notifier's wake-ups and the
 * name-change feed (pg-name-changes.ts) each listen on a channel of their own.
 */

import type { Pool, PoolClient } from "pg";
import type { Clock } from "../../../infra/index.js";

export interface ListenEvents {
  /** The subscription is in place (first time, or again after a loss). */
  up(): void;
  /** The subscription is lost; `error` says why when known. */
  down(error?: unknown): void;
  message(payload: string): void;
}

export interface ListenTransport {
  readonly kind: "postgres";
  /** Connects and listens, reconnecting on loss until `close`. */
  start(events: ListenEvents): void;
  /** Notifies every listener of the channel; rejects when it cannot. */
  publish(payload: string): Promise<void>;
  close(): Promise<void>;
}

export interface PostgresTransportOptions {
  readonly pool: Pool;
  /** Ends the pool on close (when the notifier created it). */
  readonly ownsPool: boolean;
  readonly channel: string;
  readonly clock: Clock;
  /** Longest pause between two reconnect attempts. @defaultValue 1000 */
  readonly reconnectCapMs?: number;
}

const ignore = (): void => {};

export function createPostgresTransport(options: PostgresTransportOptions): ListenTransport {
  const { pool, channel, clock } = options;
  const capMs = options.reconnectCapMs ?? 1000;
  const stop = new AbortController();

  const listenOnce = async (events: ListenEvents): Promise<PoolClient> => {
    const client = await pool.connect();
    // Closed while the connection was being opened: the abort below would never fire, and a connection kept out of
    // the pool holds its end() for good.
    if (stop.signal.aborted) {
      client.release();
      throw new Error("closed while connecting");
    }
    return new Promise<PoolClient>((resolve, reject) => {
      let settled = false;
      const onNotification = (msg: { channel: string; payload?: string | undefined }): void => {
        if (msg.channel === channel) events.message(msg.payload ?? "");
      };
      const onLost = (error?: unknown): void => {
        if (settled) return;
        settled = true;
        // The dead connection may still report errors while it is torn down; they change nothing.
        client.on("error", ignore);
        client.off("notification", onNotification);
        client.off("error", onLost);
        client.off("end", onEnd);
        stop.signal.removeEventListener("abort", onAbort);
        // A lost connection must not go back to the pool.
        client.release(error instanceof Error ? error : new Error("listening connection ended"));
        reject(error instanceof Error ? error : new Error("listening connection ended"));
      };
      const onEnd = (): void => onLost();
      const onAbort = (): void => onLost();
      client.on("notification", onNotification);
      client.on("error", onLost);
      client.on("end", onEnd);
      // LISTEN takes no parameters: the channel is quoted as an identifier (and checked when the notifier is made).
      client.query(`LISTEN ${client.escapeIdentifier(channel)}`).then(
        () => {
          if (settled) return;
          resolve(client);
          events.up();
        },
        (err: unknown) => onLost(err),
      );
      // Closing the notifier drops the listening connection.
      stop.signal.addEventListener("abort", onAbort, { once: true });
    });
  };

  return {
    kind: "postgres",
    start(events) {
      void (async () => {
        let failures = 0;
        while (!stop.signal.aborted) {
          try {
            const client = await listenOnce(events);
            failures = 0;
            // Closed as LISTEN answered: the abort listener of listenOnce has given the connection back already.
            if (stop.signal.aborted) break;
            await new Promise<void>((resolve) => {
              const done = (): void => {
                client.off("error", done);
                client.off("end", done);
                stop.signal.removeEventListener("abort", done);
                resolve();
              };
              client.on("error", done);
              client.on("end", done);
              stop.signal.addEventListener("abort", done, { once: true });
            });
            if (!stop.signal.aborted) events.down(new Error("listening connection lost"));
          } catch (err) {
            if (stop.signal.aborted) break;
            failures++;
            events.down(err);
          }
          try {
            await clock.sleep(Math.min(capMs, 50 * 2 ** failures), stop.signal);
          } catch {
            break;
          }
        }
      })();
    },
    async publish(payload) {
      await pool.query("SELECT pg_notify($1, $2)", [channel, payload]);
    },
    async close() {
      stop.abort();
      if (options.ownsPool) await pool.end();
    },
  };
}
