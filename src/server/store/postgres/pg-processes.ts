/**
 * Who holds a lease, across processes: each server process has a row in `server_processes` that it touches every
 * heartbeat; a lease names its process and, within it, the serial of the client connection it went out on. A process
 * whose heartbeat is older than `staleAfterMs` (by the database's clock) is dead: its leases have ended, and a claim
 * takes its messages at once. With every heartbeat, each process also removes the rows of dead processes and clears
 * their leases. A process that closes deletes its row, so its leases end at once (a missing row counts as dead).
 */

import { randomUUID } from "node:crypto";
import { describeError, systemClock, type Clock, type Logger } from "../../../infra/index.js";
import type { ClientConnection } from "../leases.js";
import type { Database } from "./pg-database.js";

/** How often a process touches its row. */
export const HEARTBEAT_INTERVAL_MS = 1_000;
/** A process whose heartbeat is older than this is taken for dead. */
export const HEARTBEAT_STALE_MS = 5_000;

/** SQL true when the lease's process (`<alias>.lease_process`) is neither this one ($me) nor alive. */
export function deadHolderSql(alias: string, me: string, staleMs: string): string {
  return `(${alias}.lease_process <> ${me} AND NOT EXISTS (SELECT 1 FROM server_processes p WHERE p.id = ${alias}.lease_process
     AND p.heartbeat_at > now() - ${staleMs} * interval '1 millisecond'))`;
}

export interface ProcessLeases {
  /** This process's id, as leases name it. */
  readonly id: string;
  readonly staleAfterMs: number;
  /** The serial of the connection, counted in this process; it joins the ended set once the connection closes. */
  serialOf(connection: ClientConnection): number;
  /**
   * Messages of these recipients went out on the connection, leased until `leaseUntil`. Only such connections count
   * in `endedSerials`: a poll that found nothing leaves no lease behind to release.
   */
  leased(connection: ClientConnection, leaseUntil: number, recipientIds: readonly number[]): void;
  /** Serials of connections that closed and may still hold a lease of one of these recipients. */
  endedSerials(recipientIds: readonly number[]): number[];
  /** A mark to pass to `released`: take it before the statement that clears the leases starts. */
  leaseMark(): number;
  /**
   * A statement begun after `mark` cleared every lease of these recipients held by these closed connections: they are
   * no longer looked for on the recipients' behalf (each poll of them would otherwise clear nothing again and again
   * until the leases would have run out), except a connection whose claim reported a lease after the mark.
   */
  released(serials: readonly number[], recipientIds: readonly number[], mark: number): void;
  /** Forgets ended connections whose leases have all run out by `now`. */
  forget(now: number): void;
  /** Registers this process; heartbeats until `stop`. */
  start(): Promise<void>;
  /** Stops the heartbeat and deletes this process's row (its leases end). */
  stop(): Promise<void>;
}

interface Holder {
  readonly serial: number;
  ended: boolean;
  /** The latest lease end handed out on it. */
  until: number;
  /** The lease mark of the latest claim that reported a lease on it. */
  leasedAt: number;
  /** Whose messages went out on it. */
  readonly recipients: Set<number>;
}

export function createProcessLeases(
  db: Database,
  logger: Logger,
  opts: {
    heartbeatIntervalMs?: number;
    staleAfterMs?: number;
    /**
     * What the heartbeat waits on. The system clock unless a test moves its own: other processes judge this one by
     * the database's clock, so the beat must keep real time even where the server's clock is a test's.
     */
    clock?: Clock;
  } = {},
): ProcessLeases {
  const id = randomUUID();
  const intervalMs = opts.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS;
  const staleAfterMs = opts.staleAfterMs ?? HEARTBEAT_STALE_MS;
  const holders = new WeakMap<ClientConnection, Holder>();
  const ended = new Map<number, Holder>();
  let nextSerial = 0;
  let leaseMark = 0;
  const clock = opts.clock ?? systemClock;
  const stopping = new AbortController();
  let heartbeat: Promise<void> | undefined;

  const beat = async (): Promise<void> => {
    // Re-inserted if it went missing (another process took this one for dead while the database was away).
    await db.query(`INSERT INTO server_processes (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`, [id]);
    await reapDead();
  };

  /**
   * Beats every interval until stopped. A beat that comes late (a slow database, a busy event loop) is made at once
   * rather than skipped, and missed turns are not made up as a backlog; a failed beat is logged and the next one
   * tried, for a heartbeat that stopped would have the other processes take this one for dead. This is the periodic
   * job of the server (periodic-job.ts) written out here, as the store imports nothing of the server.
   */
  const heartbeatLoop = async (): Promise<void> => {
    let due = clock.now() + intervalMs;
    for (;;) {
      const wait = due - clock.now();
      if (wait > 0) {
        try {
          await clock.sleep(wait, stopping.signal);
        } catch {
          return;
        }
      }
      if (stopping.signal.aborted) return;
      const startedAt = clock.now();
      try {
        await beat();
      } catch (err) {
        logger.warn({ err: describeError(err) }, "the heartbeat of this server process failed");
      }
      due = Math.max(due, startedAt) + intervalMs;
    }
  };

  /** Removes the rows of dead processes and clears their leases (rare: only when a process has died). */
  const reapDead = async (): Promise<void> => {
    const dead = await db.query<{ id: string }>(
      "DELETE FROM server_processes WHERE heartbeat_at < now() - $1::float8 * interval '1 millisecond' RETURNING id",
      [staleAfterMs],
    );
    if (dead.length === 0) return;
    await db.query(
      "UPDATE messages SET lease_until = NULL, lease_process = NULL, lease_conn = NULL WHERE acked_at IS NULL AND lease_process = ANY($1::text[])",
      [dead.map((r) => r.id)],
    );
    logger.warn({ processes: dead.map((r) => r.id) }, "server processes stopped sending heartbeats; their leases have ended");
  };

  return {
    id,
    staleAfterMs,
    serialOf(connection) {
      let holder = holders.get(connection);
      if (holder === undefined) {
        const created: Holder = { serial: ++nextSerial, ended: connection.destroyed, until: 0, leasedAt: 0, recipients: new Set() };
        holder = created;
        holders.set(connection, created);
        if (created.ended) ended.set(created.serial, created);
        // Lives as long as the connection; it fires once, when the connection closes.
        else
          connection.once("close", () => {
            created.ended = true;
            ended.set(created.serial, created);
          });
      }
      return holder.serial;
    },
    leased(connection, leaseUntil, recipientIds) {
      const holder = holders.get(connection);
      if (holder === undefined) return;
      holder.until = Math.max(holder.until, leaseUntil);
      holder.leasedAt = ++leaseMark;
      for (const id of recipientIds) holder.recipients.add(id);
      // Closed while the claim ran (and perhaps forgotten since, having leased nothing yet): its leases end too.
      if (holder.ended) ended.set(holder.serial, holder);
    },
    endedSerials(recipientIds) {
      const serials: number[] = [];
      for (const holder of ended.values()) if (recipientIds.some((id) => holder.recipients.has(id))) serials.push(holder.serial);
      return serials;
    },
    leaseMark: () => leaseMark,
    released(serials, recipientIds, mark) {
      for (const serial of serials) {
        const holder = ended.get(serial);
        // A claim that reported a lease after the mark may have committed after the statement looked: kept.
        if (holder === undefined || holder.leasedAt > mark) continue;
        for (const id of recipientIds) holder.recipients.delete(id);
        if (holder.recipients.size === 0) ended.delete(serial);
      }
    },
    forget(now) {
      for (const [serial, holder] of ended) if (holder.until <= now) ended.delete(serial);
    },
    async start() {
      await beat();
      heartbeat = heartbeatLoop();
    },
    async stop() {
      stopping.abort();
      await heartbeat;
      await db.query("DELETE FROM server_processes WHERE id = $1", [id]);
    },
  };
}
