// The PostgreSQL claim tells what it leaves behind (the unacked messages and the earliest live lease end), so that a
// long poll or a stream that waits after it asks the database nothing more; and when its snapshot cannot tell, it says
// nothing and the wait asks as before; a message it passed over, held by a statement that leaves it claimable, is
// claimed again after a short wait. Statements are counted through the store's database handle.
import { EventEmitter, once } from "node:events";
import pg from "pg";
import type { QueryResultRow } from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManualClock, createSilentLogger } from "../../../src/infra/index.js";
import { createMailbox, type Mailbox } from "../../../src/server/mailbox.js";
import { createInProcessNotifier } from "../../../src/server/notify/in-process.js";
import type { Notifier } from "../../../src/server/notifier.js";
import type { PendingState } from "../../../src/server/store/index.js";
import { applyMigrations } from "../../../src/server/store/postgres/migrate.js";
import { openDatabase, type Database } from "../../../src/server/store/postgres/pg-database.js";
import { createPostgresMessages, type PostgresMessageStore } from "../../../src/server/store/postgres/pg-messages.js";
import { createProcessLeases, type ProcessLeases } from "../../../src/server/store/postgres/pg-processes.js";
import { createTestSchema, postgresUnavailable, TEST_DATABASE_URL, TEST_HEARTBEAT } from "../../helpers/storage-backends.js";
import { newMessage } from "../../helpers/store-records.js";

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) process.stderr.write(`postgres claim pending: skipping: ${unavailable}\n`);

/** The database handle with every statement recorded on its way. */
function counting(db: Database, statements: string[]): Database {
  return {
    query: <R extends QueryResultRow>(sql: string, params?: readonly unknown[]) => {
      statements.push(sql);
      return db.query<R>(sql, params);
    },
    transaction: (work) => {
      statements.push("transaction");
      return db.transaction(work);
    },
    get pool() {
      return db.pool;
    },
    get closed() {
      return db.closed;
    },
    close: () => db.close(),
  };
}

class Connection extends EventEmitter {
  destroyed = false;
}

const BOB = { id: 1, name: "bob" };
const EVE = { id: 2, name: "eve" };
const VISIBILITY_MS = 60_000;

describe.skipIf(unavailable !== undefined)("a postgres claim and what it leaves behind", () => {
  let drop: () => Promise<void>;
  let schema: string;
  let db: Database;
  let processes: ProcessLeases;
  let statements: string[];
  let messages: PostgresMessageStore;
  let clock: ReturnType<typeof createManualClock>;
  let notifier: Notifier;
  let mailbox: Mailbox;

  beforeEach(async () => {
    ({ schema, drop } = await createTestSchema());
    db = openDatabase({ url: TEST_DATABASE_URL, schema, poolSize: 4, logger: createSilentLogger() });
    await applyMigrations(db.pool, createSilentLogger());
    processes = createProcessLeases(db, createSilentLogger(), TEST_HEARTBEAT);
    await processes.start();
    statements = [];
    messages = createPostgresMessages(counting(db, statements), processes);
    clock = createManualClock(1_000_000);
    notifier = createInProcessNotifier(clock);
    mailbox = createMailbox({ messages, notifier, clock, visibilityTimeoutMs: VISIBILITY_MS });
  });
  afterEach(async () => {
    await messages.drain();
    await processes.stop();
    await db.close();
    await drop();
  });

  const claimTelling = async (recipientIds: readonly number[], limit: number, now: number, leaseMs = 1_000) => {
    let left: PendingState | undefined;
    const rows = await messages.claim(recipientIds, {
      limit,
      now,
      leaseUntil: now + leaseMs,
      leftBehind: (state) => {
        left = state;
      },
    });
    return { ids: rows.map((r) => r.id), left };
  };

  /** Resolves once `n` waiters are parked (each parks after its query, so the statements before it are counted). */
  const parked = async (n: number): Promise<void> => {
    while (notifier.waiting() < n) await new Promise((done) => setTimeout(done, 1));
  };

  it("tells, with a claim that takes fewer than asked, what pendingState answers right after it", async () => {
    expect(await claimTelling([BOB.id, EVE.id], 10, 100)).toEqual({ ids: [], left: { unacked: false, nextLeaseEnd: undefined } });
    await messages.insert([newMessage("a", BOB), newMessage("b", BOB), newMessage("c", BOB)]);
    // Two taken, one left unleased for a later claim: nothing told.
    expect(await claimTelling([BOB.id], 2, 100, 1_000)).toEqual({ ids: ["a", "b"], left: undefined });
    // The last one taken: the earliest live lease is a's and b's.
    expect(await claimTelling([BOB.id], 10, 500, 1_000)).toEqual({ ids: ["c"], left: { unacked: true, nextLeaseEnd: 1_100 } });
    expect(await messages.pendingState([BOB.id], 500)).toEqual({ unacked: true, nextLeaseEnd: 1_100 });
    // All leased: nothing to take, not empty; another name alongside changes nothing.
    expect(await claimTelling([EVE.id, BOB.id], 10, 600)).toEqual({ ids: [], left: { unacked: true, nextLeaseEnd: 1_100 } });
    // a and b come back at 1100; c's lease (1500) is then the earliest.
    expect(await claimTelling([BOB.id], 10, 1_100, 10_000)).toEqual({ ids: ["a", "b"], left: { unacked: true, nextLeaseEnd: 1_500 } });
    expect(await messages.pendingState([BOB.id], 1_100)).toEqual({ unacked: true, nextLeaseEnd: 1_500 });
    await messages.ack([BOB.id], ["a", "b", "c"], 1_200);
    expect(await claimTelling([BOB.id], 10, 1_300)).toEqual({ ids: [], left: { unacked: false, nextLeaseEnd: undefined } });
  });

  it("tells nothing when a claimable message was locked by another transaction, which may be leasing it", async () => {
    await messages.insert([newMessage("a", BOB), newMessage("b", BOB)]);
    const other = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query(`SELECT seq FROM ${schema}.messages WHERE id = 'a' FOR UPDATE`);
      expect(await claimTelling([BOB.id], 10, 100)).toEqual({ ids: ["b"], left: undefined });
      expect(await claimTelling([BOB.id], 10, 200)).toEqual({ ids: [], left: undefined });
      // The other transaction leases a until 400 (this process's lease, say) and commits: pendingState, asked now, sees
      // it, where the claims' snapshots showed a without a lease.
      await other.query(`UPDATE ${schema}.messages SET lease_until = 400, lease_process = $1 WHERE id = 'a'`, [processes.id]);
      await other.query("COMMIT");
    } finally {
      await other.end();
    }
    expect(await messages.pendingState([BOB.id], 300)).toEqual({ unacked: true, nextLeaseEnd: 400 });
  });

  /**
   * Message a, and another connection's statement marking it delivered, under way (the webhook dispatcher's
   * `markDelivered`): it holds a's row until it commits, and leaves a claimable.
   */
  const holdingA = async (): Promise<pg.Client> => {
    await messages.insert([newMessage("a", BOB)]);
    const other = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await other.connect();
    await other.query("BEGIN");
    await other.query(`UPDATE ${schema}.messages SET delivered_at = 50 WHERE id = 'a'`);
    return other;
  };

  it("claims again, after a short wait, a message its claim passed over while another statement held it (a webhook marking it delivered)", async () => {
    const other = await holdingA();
    try {
      let answered: string[] | undefined;
      const poll = mailbox.pullWaiting([BOB.id], 10, 30_000).then((rows) => (answered = rows.map((r) => r.id)));
      // The claim passed over a; the pending state after it shows a without a lease; the poll waits a little.
      await parked(1);
      expect(answered).toBeUndefined();
      await other.query("COMMIT");
      // The short wait ends (nothing was sent, no lease ends): the poll claims again and takes a, long before its
      // 30 s are up. Before, it waited for a send or the whole 30 s.
      await clock.advance(5);
      await expect.poll(() => answered).toEqual(["a"]);
      await poll;
    } finally {
      await other.end();
    }
  });

  it("answers a poll that does not wait at once, with nothing, while a statement holds its only message, and with the message once that is done", async () => {
    const other = await holdingA();
    try {
      // Held all the while: each try passes over a, and the poll answers nothing after its last.
      expect(await mailbox.pull([BOB.id], 10)).toEqual([]);
      await other.query("COMMIT");
    } finally {
      await other.end();
    }
    expect((await mailbox.pull([BOB.id], 10)).map((r) => r.id)).toEqual(["a"]);
  });

  it("parks a long poll after a claim that found nothing with no statement of its own, one statement fewer a message", async () => {
    const rounds = 10;
    for (let i = 0; i < rounds; i++) {
      const poll = mailbox.pullWaiting([BOB.id], 10, 30_000);
      await parked(1);
      await mailbox.deliver(newMessage(`m${i}`, BOB, clock.now()));
      const got = await poll;
      expect(got.map((m) => m.id)).toEqual([`m${i}`]);
      expect(await mailbox.ack([BOB.id], [`m${i}`])).toEqual([`m${i}`]);
    }
    // Per message: the claim that found nothing, the send, the claim that took it and the ack.
    expect(statements.length / rounds).toBe(4);
  });

  it("waits after a stream's short pull with no statement of its own, one statement fewer a message", async () => {
    const rounds = 10;
    const connection = new Connection();
    const closed = new AbortController();
    const events = new EventEmitter();
    let received = 0;
    const stream = (async () => {
      // The stream route's loop: pull, write, and wait when fewer than asked came.
      while (received < rounds) {
        const rows = await mailbox.pull([BOB.id], 10, connection);
        received += rows.length;
        if (rows.length > 0) {
          await mailbox.ack([BOB.id], rows.map((r) => r.id));
          events.emit("received");
        }
        if (received < rounds && rows.length < 10) await mailbox.waitForWork([BOB.id], 30_000, closed.signal);
      }
    })();
    await parked(1);
    const start = statements.length;
    for (let i = 0; i < rounds; i++) {
      const acked = once(events, "received");
      await mailbox.deliver(newMessage(`m${i}`, BOB, clock.now()));
      await acked;
      if (i < rounds - 1) await parked(1);
    }
    await stream;
    // Per message: the send, the pull that took it and the ack.
    expect((statements.length - start) / rounds).toBe(3);
  });

  it("parks streams of one name that pull at once with their claims alone: no wait asks for itself", async () => {
    await messages.insert([newMessage("a", BOB)]);
    const taken = await mailbox.pull([BOB.id], 10, new Connection());
    expect(taken.map((m) => m.id)).toEqual(["a"]);
    statements.length = 0;
    // As after a restart: many streams of the name open together; each pull's claim finds the one message leased.
    const streams = 12;
    const closed = new AbortController();
    const waits = Array.from({ length: streams }, async () => {
      const connection = new Connection();
      expect(await mailbox.pull([BOB.id], 10, connection)).toEqual([]);
      return mailbox.waitForWork([BOB.id], 120_000, closed.signal, connection);
    });
    await parked(streams);
    // A claim each and nothing else, though the name's latest claim was another stream's, still running, when most of
    // them began to wait.
    expect(statements).toHaveLength(streams);
    closed.abort();
    expect(await Promise.all(waits)).toEqual(Array.from({ length: streams }, () => false));
  });

  it("wakes a long poll and a stream when the lease hiding their only message ends, without asking for it", async () => {
    await messages.insert([newMessage("a", BOB)]);
    const first = await mailbox.pull([BOB.id], 10, new Connection());
    expect(first.map((m) => m.id)).toEqual(["a"]);
    const leaseEnd = clock.now() + VISIBILITY_MS;
    statements.length = 0;
    const poll = mailbox.pullWaiting([BOB.id], 10, 120_000);
    const streamPull = await mailbox.pull([BOB.id], 10, new Connection());
    expect(streamPull).toEqual([]);
    let woken = false;
    const streamWait = mailbox.waitForWork([BOB.id], 120_000).then(() => {
      woken = true;
    });
    await parked(2);
    // Two claims and nothing else: neither wait asked for the lease's end.
    expect(statements).toHaveLength(2);
    await clock.set(leaseEnd - 1);
    expect(notifier.waiting()).toBe(2);
    expect(woken).toBe(false);
    await clock.set(leaseEnd + 1);
    await streamWait;
    expect((await poll).map((m) => m.id)).toEqual(["a"]);
  });
});
