// What every storage backend must do with the records sends leave: webhook deliveries (queued with the message or the
// ack they report, claimed under a lease), receipts, and Idempotency-Keys bound with their message.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IDEMPOTENCY_TTL_MS, type IdempotencyRecord, type NameRecord, type Storage } from "../../../src/server/store/index.js";
import { STORAGE_BACKENDS, type OpenedStorage } from "../../helpers/storage-backends.js";
import { nameRecord, newMessage } from "../../helpers/store-records.js";

const unavailable = new Map<string, string | undefined>();
for (const backend of STORAGE_BACKENDS) unavailable.set(backend.name, await backend.unavailable());

describe.each(STORAGE_BACKENDS.map((backend) => ({ backend, name: backend.name })))("send records contract: $name", ({ backend }) => {
  let opened: OpenedStorage;
  let storage: Storage;
  let alice: NameRecord;
  let bob: NameRecord;

  beforeEach(async (context) => {
    if (unavailable.get(backend.name) !== undefined) {
      context.skip();
      return;
    }
    opened = await backend.open();
    storage = opened.storage;
    await storage.directory.insertAccount({ id: "acc_1", email: "a@example.com", createdAt: 1 });
    await storage.directory.insertAccount({ id: "acc_2", email: "b@example.com", createdAt: 1 });
    alice = await storage.directory.insertName(nameRecord("alice", "acc_1", "pa"));
    bob = await storage.directory.insertName(nameRecord("bob", "acc_2", "pb"));
  });
  afterEach(async () => opened?.dispose());

  /** A history read: on the embedded backend it hands what the journal holds to the archive, where deliveries are queued. */
  const settled = async (): Promise<void> => {
    await storage.messages.count(bob.id);
  };
  const claim = (now: number, limit = 10, leaseMs = 1_000) => storage.webhooks.claimDue({ now, limit, leaseUntil: now + leaseMs });
  const binding = (messageId: string, key: string, createdAt: number, fingerprint = "f1"): IdempotencyRecord => ({
    accountId: "acc_1",
    key,
    fingerprint,
    messageId,
    statusCode: 200,
    response: JSON.stringify({ messageId }),
    createdAt,
  });

  describe("webhook deliveries", () => {
    it("queues message.received with the message, only for a recipient with a webhook URL", async () => {
      await storage.messages.insert([newMessage("m0", bob, 5)]);
      // The embedded backend reads the URL when the archive takes the message over (within its flush interval).
      await settled();
      await storage.directory.updateNameSettings(bob.id, { webhookUrl: "https://hooks.example.com/bob" });
      await storage.messages.insert([newMessage("m1", bob, 10)]);
      await settled();
      const due = await claim(100);
      expect(due).toEqual([
        {
          id: "rcv_m1",
          nameId: bob.id,
          name: "bob",
          event: "message.received",
          messageId: "m1",
          state: null,
          peer: "alice",
          status: "pending",
          attempts: 0,
          createdAt: 10,
          nextAttemptAt: 10,
          lastAttemptAt: null,
          lastStatusCode: null,
          lastError: null,
          finishedAt: null,
        },
      ]);
    });

    it("leases what it hands out: a second claim gets nothing until the lease ends", async () => {
      await storage.directory.updateNameSettings(bob.id, { webhookUrl: "https://hooks.example.com/bob" });
      await storage.messages.insert([newMessage("m1", bob, 10), newMessage("m2", bob, 11)]);
      await settled();
      expect((await claim(100, 1)).map((d) => d.id)).toEqual(["rcv_m1"]);
      expect((await claim(100)).map((d) => d.id)).toEqual(["rcv_m2"]);
      expect(await claim(500)).toEqual([]);
      expect((await claim(1_100)).map((d) => d.id).sort()).toEqual(["rcv_m1", "rcv_m2"]);
    });

    it("records attempts: a retry is due at its time, a final outcome leaves the queue and the log keeps it", async () => {
      await storage.directory.updateNameSettings(bob.id, { webhookUrl: "https://hooks.example.com/bob" });
      await storage.messages.insert([newMessage("m1", bob, 10)]);
      await settled();
      await claim(100);
      await storage.webhooks.recordAttempt("rcv_m1", { at: 100, status: "pending", attempted: true, statusCode: 500, error: "HTTP 500", nextAttemptAt: 10_100 });
      expect(await storage.webhooks.nextDue(200)).toBe(10_100);
      expect(await claim(10_099)).toEqual([]);
      const [again] = await claim(10_100);
      expect(again).toMatchObject({ attempts: 1, lastStatusCode: 500, lastError: "HTTP 500", lastAttemptAt: 100 });
      await storage.webhooks.recordAttempt("rcv_m1", { at: 10_200, status: "delivered", attempted: true, statusCode: 204, error: null, nextAttemptAt: null });
      expect(await storage.webhooks.nextDue(20_000)).toBeUndefined();
      expect(await storage.webhooks.list(bob.id, 10)).toMatchObject([
        { id: "rcv_m1", status: "delivered", attempts: 2, lastStatusCode: 204, lastError: null, nextAttemptAt: null, finishedAt: 10_200 },
      ]);
      expect(await storage.webhooks.list(alice.id, 10)).toEqual([]);
      expect(await storage.webhooks.purge(10_200)).toBe(0);
      expect(await storage.webhooks.purge(10_201)).toBe(1);
      expect(await storage.webhooks.list(bob.id, 10)).toEqual([]);
    });

    it("queues message.acked with the ack, only for a sender that asked for it", async () => {
      await storage.directory.updateNameSettings(alice.id, { webhookUrl: "https://hooks.example.com/alice" });
      expect(await storage.webhooks.events(alice.id)).toEqual(["message.received"]);
      await storage.messages.insert([newMessage("m1", bob, 10), newMessage("m2", bob, 11)]);
      await storage.messages.ack([bob.id], ["m1"], 20);
      await settled();
      await storage.webhooks.setEvents(alice.id, ["message.acked"]);
      expect(await storage.webhooks.events(alice.id)).toEqual(["message.acked"]);
      await storage.messages.ack([bob.id], ["m2"], 30);
      await settled();
      expect((await claim(100)).map((d) => [d.id, d.name, d.event, d.peer, d.createdAt])).toEqual([["ack_m2", "alice", "message.acked", "bob", 30]]);
    });

    it("queues message.status with every receipt state, holding each behind the earlier ones of its message", async () => {
      await storage.directory.updateNameSettings(alice.id, { webhookUrl: "https://hooks.example.com/alice" });
      await storage.webhooks.setEvents(alice.id, ["message.status"]);
      await storage.receipts.record({ messageId: "m9", sender: "alice", recipient: "bob", state: "pending_approval", at: 5 });
      await storage.receipts.record({ messageId: "m9", sender: "alice", recipient: "bob", state: "rejected", at: 6 });
      await storage.messages.insert([newMessage("m1", bob, 10)]);
      expect((await storage.messages.claim([bob.id], { limit: 10, now: 15, leaseUntil: 1_000 })).map((m) => m.id)).toEqual(["m1"]);
      await storage.messages.ack([bob.id], ["m1"], 20);
      await settled();
      const round = async (now: number): Promise<Array<[string, string | null, number]>> => {
        const due = await claim(now);
        for (const d of due) {
          await storage.webhooks.recordAttempt(d.id, { at: now, status: "delivered", attempted: true, statusCode: 200, error: null, nextAttemptAt: null });
        }
        return due.map((d) => [d.id, d.state, d.createdAt]);
      };
      // Every later state waits for the one before it.
      expect(await round(100)).toEqual([
        ["sts_pending_approval_m9", "pending_approval", 5],
        ["sts_accepted_m1", "accepted", 10],
      ]);
      expect(await round(101)).toEqual([
        ["sts_rejected_m9", "rejected", 6],
        ["sts_delivered_m1", "delivered", 15],
      ]);
      expect(await round(102)).toEqual([["sts_acked_m1", "acked", 20]]);
      expect(await storage.webhooks.nextDue(103)).toBeUndefined();
      // Recording a state again queues nothing new; an unacked message that retention deletes is reported expired.
      await storage.receipts.record({ messageId: "m9", sender: "alice", recipient: "bob", state: "rejected", at: 7 });
      await storage.messages.insert([newMessage("m2", bob, 30)]);
      await settled();
      expect(await round(103)).toEqual([["sts_accepted_m2", "accepted", 30]]);
      // (As retention runs it: 14 days after the message, when its expiry is due.)
      const expiry = 30 + 14 * 24 * 60 * 60 * 1000;
      await storage.messages.purge(0, 31);
      expect(await round(expiry)).toEqual([["sts_expired_m2", "expired", expiry]]);
      expect(await storage.webhooks.list(bob.id, 10)).toEqual([]);
    });

    it.runIf(backend.name === "postgres")("never hands one delivery to two processes at once", async () => {
      const peer = await opened.openPeer?.();
      if (peer === undefined) throw new Error("no peer");
      await storage.directory.updateNameSettings(bob.id, { webhookUrl: "https://hooks.example.com/bob" });
      await storage.messages.insert(Array.from({ length: 40 }, (_, i) => newMessage(`m${i}`, bob, 10 + i)));
      const rounds = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? storage : peer).webhooks.claimDue({ now: 100, limit: 7, leaseUntil: 60_000 })),
      );
      const claimed = rounds.flat().map((d) => d.id);
      expect(claimed).toHaveLength(40);
      expect(new Set(claimed).size).toBe(40);
      await peer.close();
    });
  });

  describe("receipts", () => {
    it("answers from the stored message, with its first delivery, and keeps the receipt when retention deletes it", async () => {
      await storage.messages.insert([newMessage("m1", bob, 10), newMessage("m2", bob, 11)]);
      expect(await storage.receipts.find("m1")).toEqual({ messageId: "m1", sender: "alice", recipient: "bob", at: { accepted: 10 }, purged: false });
      await storage.messages.claim([bob.id], { limit: 10, now: 15, leaseUntil: 16 });
      await storage.messages.claim([bob.id], { limit: 10, now: 17, leaseUntil: 18 });
      await storage.messages.ack([bob.id], ["m1"], 20);
      expect((await storage.receipts.find("m1"))?.at).toEqual({ accepted: 10, delivered: 15, acked: 20 });
      await storage.messages.purge(21, 12);
      expect(await storage.messages.find("m1")).toBeUndefined();
      expect(await storage.receipts.find("m1")).toEqual({ messageId: "m1", sender: "alice", recipient: "bob", at: { accepted: 10, delivered: 15, acked: 20 }, purged: true });
      expect(await storage.receipts.find("m2")).toEqual({ messageId: "m2", sender: "alice", recipient: "bob", at: { accepted: 11, delivered: 15 }, purged: true });
      expect(await storage.receipts.purge(11)).toBe(1);
      expect(await storage.receipts.find("m1")).toBeUndefined();
    });

    it("records states without a message, keeping each one's first time, and marks a delivery by webhook", async () => {
      await storage.receipts.record({ messageId: "held", sender: "alice", recipient: "bob", state: "pending_approval", at: 5 });
      await storage.receipts.record({ messageId: "held", sender: "alice", recipient: "bob", state: "pending_approval", at: 6 });
      await storage.messages.insert([newMessage("held", bob, 9)]);
      await storage.receipts.markDelivered("held", 12);
      await storage.receipts.markDelivered("held", 13);
      expect(await storage.receipts.find("held")).toEqual({
        messageId: "held",
        sender: "alice",
        recipient: "bob",
        at: { pending_approval: 5, accepted: 9, delivered: 12 },
        purged: false,
      });
      expect(await storage.receipts.find("unknown")).toBeUndefined();
    });
    it("moves only forward: a delivery reported after the ack is not recorded, nor reported to the sender", async () => {
      await storage.directory.updateNameSettings(alice.id, { webhookUrl: "https://hooks.example.com/alice" });
      await storage.webhooks.setEvents(alice.id, ["message.status"]);
      await storage.messages.insert([newMessage("m1", bob, 10), newMessage("m2", bob, 11)]);
      // m1 is acked while its webhook is still out (never handed out by a poll); m2 is archived and acked before.
      await settled();
      await storage.messages.ack([bob.id], ["m2"], 12);
      await settled();
      await storage.messages.ack([bob.id], ["m1"], 20);
      await storage.receipts.markDelivered("m1", 25);
      await storage.receipts.markDelivered("m2", 26);
      await settled();
      expect((await storage.receipts.find("m1"))?.at).toEqual({ accepted: 10, acked: 20 });
      expect((await storage.receipts.find("m2"))?.at).toEqual({ accepted: 11, acked: 12 });
      const due = await claim(100, 20);
      expect(due.map((d) => d.id).sort()).toEqual(["sts_accepted_m1", "sts_accepted_m2"]);
      for (const d of due) {
        await storage.webhooks.recordAttempt(d.id, { at: 100, status: "delivered", attempted: true, statusCode: 200, error: null, nextAttemptAt: null });
      }
      expect((await claim(101, 20)).map((d) => d.id).sort()).toEqual(["sts_acked_m1", "sts_acked_m2"]);
      // Kept as acked when retention deletes them.
      await storage.messages.purge(1_000, 0);
      expect((await storage.receipts.find("m1"))?.at).toEqual({ accepted: 10, acked: 20 });
    });
  });

  describe("idempotency keys", () => {
    it("binds a key with its message; a second message under a live key is not stored", async () => {
      await storage.messages.insert([{ ...newMessage("first", bob, 100), idempotency: binding("first", "k", 100) }]);
      await storage.messages.insert([{ ...newMessage("second", bob, 200), idempotency: binding("second", "k", 200, "f2") }]);
      expect(await storage.idempotency.find("acc_1", "k", 200 - IDEMPOTENCY_TTL_MS)).toEqual(binding("first", "k", 100));
      expect(await storage.messages.find("second")).toBeUndefined();
      expect((await storage.messages.listUnacked([bob.id], 10)).map((m) => m.id)).toEqual(["first"]);
      // Another account's key of the same text is its own.
      expect(await storage.idempotency.find("acc_2", "k", 0)).toBeUndefined();
    });

    it("lets a lapsed key go: find no longer answers it, and a new message takes it", async () => {
      await storage.messages.insert([{ ...newMessage("old", bob, 100), idempotency: binding("old", "k", 100) }]);
      const later = 100 + IDEMPOTENCY_TTL_MS;
      expect(await storage.idempotency.find("acc_1", "k", later - IDEMPOTENCY_TTL_MS)).toBeUndefined();
      await storage.messages.insert([{ ...newMessage("new", bob, later), idempotency: binding("new", "k", later) }]);
      expect((await storage.idempotency.find("acc_1", "k", later - IDEMPOTENCY_TTL_MS))?.messageId).toBe("new");
      expect(await storage.messages.find("new")).toBeDefined();
    });

    it("remembers an answer without a message unless a live record holds the key, and purges old ones", async () => {
      const refused: IdempotencyRecord = { ...binding("r1", "refused", 100), statusCode: 403 };
      expect(await storage.idempotency.remember(refused, 100 - IDEMPOTENCY_TTL_MS)).toEqual(refused);
      expect(await storage.idempotency.remember({ ...refused, messageId: "r2", createdAt: 150 }, 150 - IDEMPOTENCY_TTL_MS)).toEqual(refused);
      expect(await storage.idempotency.purge(100)).toBe(0);
      expect(await storage.idempotency.purge(101)).toBe(1);
      expect(await storage.idempotency.find("acc_1", "refused", 0)).toBeUndefined();
    });
  });
});
