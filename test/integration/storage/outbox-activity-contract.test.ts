// What every storage backend answers the dashboard's outbox and activity with: a name's sent messages merged with their
// receipts (stored, deleted by retention, blocked, held), and the messages per UTC day per name with the dead ends.
import { beforeEach, describe, expect, it } from "vitest";
import { DAY_MS, type NameRecord, type Storage } from "../../../src/server/store/index.js";
import { STORAGE_BACKENDS } from "../../helpers/storage-backends.js";
import { storagePerTest } from "../../helpers/storage-per-test.js";
import { nameRecord, newMessage } from "../../helpers/store-records.js";

const unavailable = new Map<string, string | undefined>();
for (const backend of STORAGE_BACKENDS) unavailable.set(backend.name, await backend.unavailable());

const D = DAY_MS;
const HOUR = 60 * 60 * 1000;

describe.each(STORAGE_BACKENDS.map((backend) => ({ backend, name: backend.name })))("outbox and activity contract: $name", ({ backend }) => {
  let storage: Storage;
  let alice: NameRecord;
  let bob: NameRecord;

  const perTest = storagePerTest(backend, unavailable.get(backend.name));

  beforeEach(async () => {
    storage = perTest.storage();
    await storage.directory.insertAccount({ id: "acc_1", email: "a@example.com", createdAt: 1 });
    await storage.directory.insertAccount({ id: "acc_2", email: "b@example.com", createdAt: 1 });
    alice = await storage.directory.insertName(nameRecord("alice", "acc_1", "pa"));
    bob = await storage.directory.insertName(nameRecord("bob", "acc_2", "pb"));

    // m0: alice → bob on day 1, never acked, deleted by retention (it expires on day 15).
    await storage.messages.insert([newMessage("m0", bob, D + 5)]);
    await storage.messages.purge(1, 2 * D);
    // m1 delivered and acked, m2 only accepted, both on day 10.
    await storage.messages.insert([newMessage("m1", bob, 10 * D + 1_000), newMessage("m2", bob, 10 * D + 2_000)]);
    await storage.messages.claim([bob.id], { limit: 1, now: 10 * D + 3_000, leaseUntil: 10 * D + 4_000 });
    await storage.messages.ack([bob.id], ["m1"], 10 * D + 5_000);
    // b1 refused by bob's policy on day 11; h1 held for approval, then rejected.
    await storage.receipts.record({ messageId: "b1", sender: "alice", recipient: "bob", state: "blocked", at: 11 * D });
    await storage.receipts.record({ messageId: "h1", sender: "alice", recipient: "bob", state: "pending_approval", at: 11 * D + HOUR });
    await storage.receipts.record({ messageId: "h1", sender: "alice", recipient: "bob", state: "rejected", at: 11 * D + 2 * HOUR });
    // m3: bob → alice on day 12.
    await storage.messages.insert([{ ...newMessage("m3", alice, 12 * D), sender: "bob", subject: "Back" }]);
  });

  it("lists a name's sent messages newest first, each once, with its receipt and its subject while stored", async () => {
    const sent = await storage.receipts.listSent("alice", 10);
    expect(sent.map((s) => s.messageId)).toEqual(["h1", "b1", "m2", "m1", "m0"]);
    expect(sent[0]).toEqual({
      messageId: "h1",
      sender: "alice",
      recipient: "bob",
      at: { pending_approval: 11 * D + HOUR, rejected: 11 * D + 2 * HOUR },
      purged: false,
      subject: null,
      firstAt: 11 * D + HOUR,
    });
    expect(sent[1]).toMatchObject({ messageId: "b1", at: { blocked: 11 * D }, subject: null, firstAt: 11 * D });
    expect(sent[2]).toEqual({
      messageId: "m2",
      sender: "alice",
      recipient: "bob",
      at: { accepted: 10 * D + 2_000 },
      purged: false,
      subject: "Message",
      firstAt: 10 * D + 2_000,
    });
    expect(sent[3]).toMatchObject({ messageId: "m1", at: { accepted: 10 * D + 1_000, delivered: 10 * D + 3_000, acked: 10 * D + 5_000 }, subject: "Message" });
    expect(sent[4]).toMatchObject({ messageId: "m0", at: { accepted: D + 5 }, purged: true, subject: null, firstAt: D + 5 });
  });

  it("keeps to the limit and to the sender", async () => {
    expect((await storage.receipts.listSent("alice", 2)).map((s) => s.messageId)).toEqual(["h1", "b1"]);
    expect((await storage.receipts.listSent("bob", 10)).map((s) => [s.messageId, s.subject])).toEqual([["m3", "Back"]]);
    expect(await storage.receipts.listSent("nobody", 10)).toEqual([]);
  });

  it("counts per name and UTC day: received, sent, blocked and expired, from stored messages and kept receipts", async () => {
    const counts = await storage.receipts.countPerDay(["alice", "bob"], 0);
    const row = (name: string, day: number, received: number, sent: number, blocked: number, expired: number) => ({ name, day, received, sent, blocked, expired });
    expect(counts).toEqual([
      row("alice", 1, 0, 1, 0, 0),
      row("alice", 10, 0, 2, 0, 0),
      row("alice", 11, 0, 0, 1, 0),
      row("alice", 12, 1, 0, 0, 0),
      row("alice", 15, 0, 0, 0, 1),
      row("bob", 1, 1, 0, 0, 0),
      row("bob", 10, 2, 0, 0, 0),
      row("bob", 11, 0, 0, 1, 0),
      row("bob", 12, 0, 1, 0, 0),
      row("bob", 15, 0, 0, 0, 1),
    ]);
  });

  it("counts only the names asked and from `since` on", async () => {
    const counts = await storage.receipts.countPerDay(["alice"], 11 * D);
    expect(counts.map((c) => [c.day, c.received, c.sent, c.blocked, c.expired])).toEqual([
      [11, 0, 0, 1, 0],
      [12, 1, 0, 0, 0],
      [15, 0, 0, 0, 1],
    ]);
    expect(await storage.receipts.countPerDay([], 0)).toEqual([]);
  });
});
