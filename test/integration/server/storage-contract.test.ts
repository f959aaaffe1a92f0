// What every storage backend must do, whichever it is: the same cases against each backend of STORAGE_BACKENDS.
import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ProfileFields } from "../../../src/protocol/index.js";
import { EMPTY_PROFILE, isListed, profileTerms } from "../../../src/server/profiles.js";
import type { DirectoryQuery, NameRecord, NewMessage, Storage } from "../../../src/server/store/index.js";
import { STORAGE_BACKENDS, type OpenedStorage } from "../../helpers/storage-backends.js";
import { nameRecord, newMessage } from "../../helpers/store-records.js";

const unavailable = new Map<string, string | undefined>();
for (const backend of STORAGE_BACKENDS) {
  const reason = await backend.unavailable();
  unavailable.set(backend.name, reason);
  if (reason !== undefined) process.stderr.write(`storage contract: skipping ${backend.name}: ${reason}\n`);
}

/** A client connection as the message store sees it: it says when it closes. */
function fakeConnection(): { readonly destroyed: boolean; once(event: "close", listener: () => void): unknown; close(): void } {
  const events = new EventEmitter();
  let destroyed = false;
  return {
    get destroyed() {
      return destroyed;
    },
    once: (event, listener) => events.once(event, listener),
    close() {
      destroyed = true;
      events.emit("close");
    },
  };
}

describe.each(STORAGE_BACKENDS.map((backend) => ({ backend, name: backend.name })))("storage contract: $name", ({ backend }) => {
  let opened: OpenedStorage;
  let storage: Storage;
  let bob: NameRecord;
  let eve: NameRecord;

  const newName = (name: string, accountId = "acc_1", keyPrefix = `p${name}`) => storage.directory.insertName(nameRecord(name, accountId, keyPrefix));
  const message = (id: string, to: NameRecord, createdAt = 10): NewMessage => newMessage(id, to, createdAt);
  const ids = (records: ReadonlyArray<{ id: string }>): string[] => records.map((r) => r.id);
  const claim = (recipientIds: readonly number[], limit: number, now = 100, leaseMs = 1_000, connection?: ReturnType<typeof fakeConnection>) =>
    storage.messages.claim(recipientIds, { limit, now, leaseUntil: now + leaseMs, ...(connection === undefined ? {} : { connection }) });

  beforeEach(async (context) => {
    if (unavailable.get(backend.name) !== undefined) {
      context.skip();
      return;
    }
    opened = await backend.open();
    storage = opened.storage;
    await storage.directory.insertAccount({ id: "acc_1", email: "team@example.com", createdAt: 1 });
    await storage.directory.insertAccount({ id: "acc_2", email: "eve@example.com", createdAt: 2 });
    bob = await newName("bob");
    eve = await newName("eve", "acc_2");
  });
  afterEach(async () => {
    await opened?.dispose();
  });

  it("answers a ping while open, and refuses one with CT_UNAVAILABLE once closed", async () => {
    await expect(storage.ping()).resolves.toBeUndefined();
    await storage.close();
    await expect(storage.ping()).rejects.toMatchObject({ code: "CT_UNAVAILABLE" });
  });

  describe("many processes on the same data", () => {
    const skipUnlessShared = (context: { skip(note?: string): void }): void => {
      if (opened.openPeer !== undefined) return;
      process.stderr.write(`storage contract: ${backend.name} serves one process per data folder; skipping the many-process cases\n`);
      context.skip();
    };

    it("never hands one message to claims of two processes running at once, round after round", async (context) => {
      skipUnlessShared(context);
      const peer = await opened.openPeer!();
      const handed = new Set<string>();
      for (let round = 0; round < 15; round++) {
        await storage.messages.insert(Array.from({ length: 20 }, (_, i) => message(`r${round}m${i}`, bob)));
        const claims = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            (i % 2 === 0 ? storage : peer).messages.claim([bob.id], { limit: 3, now: 100, leaseUntil: 60_000 }),
          ),
        );
        for (const id of claims.flatMap(ids)) {
          expect(handed.has(id)).toBe(false);
          handed.add(id);
        }
        // Whatever the round left unclaimed, a last claim takes; nothing is lost or handed twice.
        for (const id of ids(await peer.messages.claim([bob.id], { limit: 100, now: 100, leaseUntil: 60_000 }))) {
          expect(handed.has(id)).toBe(false);
          handed.add(id);
        }
        expect(handed.size).toBe((round + 1) * 20);
      }
      await peer.close();
    });

    it("sees another process's sends, acks and directory changes at once", async (context) => {
      skipUnlessShared(context);
      const peer = await opened.openPeer!();
      await peer.messages.insert([message("from-peer", bob)]);
      expect(ids(await claim([bob.id], 10))).toEqual(["from-peer"]);
      expect(await peer.messages.ack([bob.id], ["from-peer"], 50)).toEqual([expect.objectContaining({ id: "from-peer" })]);
      expect((await storage.messages.find("from-peer"))?.ackedAt).toBe(50);
      expect((await peer.directory.findNameByName("bob"))?.id).toBe(bob.id);
      await peer.close();
    });

    it("ends the leases of a process that died once its heartbeat is stale, and not while it lives", async (context) => {
      skipUnlessShared(context);
      if (opened.claimInChildProcess === undefined) return context.skip();
      await storage.messages.insert([message("a", bob), message("b", bob), message("c", bob)]);
      const child = await opened.claimInChildProcess([bob.id], 2);
      expect(child.ids).toEqual(["a", "b"]);
      const now = Date.now();
      try {
        await storage.messages.releaseLeases([bob.id]);
        expect(ids(await claim([bob.id], 10, now, 600_000))).toEqual(["c"]);
      } finally {
        await child.kill();
      }
      // Its heartbeat goes stale a few seconds after the kill: then its leases end, in order, at the next claim.
      const deadline = Date.now() + 30_000;
      let taken: string[] = [];
      while (taken.length === 0 && Date.now() < deadline) {
        await storage.messages.releaseLeases([bob.id]);
        taken = ids(await claim([bob.id], 10, now + 10));
        if (taken.length === 0) await new Promise((done) => setTimeout(done, 100));
      }
      expect(taken).toEqual(["a", "b"]);
    });
  });

  describe("directory", () => {
    it("finds accounts by id and by email, and unknown ones not", async () => {
      expect(await storage.directory.findAccountById("acc_1")).toEqual({ id: "acc_1", email: "team@example.com", createdAt: 1 });
      expect((await storage.directory.findAccountByEmail("team@example.com"))?.id).toBe("acc_1");
      expect(await storage.directory.findAccountById("acc_9")).toBeUndefined();
      expect(await storage.directory.findAccountByEmail("nobody@example.com")).toBeUndefined();
    });

    it("holds the names-per-account limit when names are inserted at once: the count and the insert are one step", async () => {
      // acc_1 owns bob; with a limit of 3, two of six racing inserts get in, from this process and (postgres) a peer.
      const peer = await opened.openPeer?.();
      const stores = [storage, peer ?? storage];
      const results = await Promise.allSettled(
        ["n1", "n2", "n3", "n4", "n5", "n6"].map((name, i) =>
          (stores[i % 2] as Storage).directory.insertName(nameRecord(name, "acc_1", `p${name}`), { maxNamesPerAccount: 3 }),
        ),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
      for (const refused of results.filter((r) => r.status === "rejected")) {
        expect(refused.reason).toMatchObject({ code: "CT_FORBIDDEN", message: "the account of team@example.com has 3 names, the most this server allows per account (3)" });
      }
      expect(await storage.directory.listNamesOfAccount("acc_1")).toHaveLength(3);
      // Without a limit, or for another account, nothing is held back.
      await storage.directory.insertName(nameRecord("n7", "acc_1", "pn7"));
      await storage.directory.insertName(nameRecord("n8", "acc_2", "pn8"), { maxNamesPerAccount: 3 });
      expect(await storage.directory.listNamesOfAccount("acc_1")).toHaveLength(4);
      await peer?.close();
    });

    it("keeps one account per email: a later insert answers the stored account, and racing inserts agree", async () => {
      expect(await storage.directory.insertAccount({ id: "acc_late", email: "team@example.com", createdAt: 9 })).toEqual({
        id: "acc_1",
        email: "team@example.com",
        createdAt: 1,
      });
      expect(await storage.directory.findAccountById("acc_late")).toBeUndefined();
      const racing = await Promise.all(
        ["acc_x", "acc_y", "acc_z"].map((id) => storage.directory.insertAccount({ id, email: "new@example.com", createdAt: 5 })),
      );
      expect(new Set(racing.map((a) => a.id)).size).toBe(1);
      expect(await storage.directory.findAccountByEmail("new@example.com")).toEqual(racing[0]);
    });

    it("refuses a taken name with CT_CONFLICT, also to racing creators", async () => {
      await expect(newName("bob", "acc_1", "pother")).rejects.toMatchObject({ code: "CT_CONFLICT" });
      const racing = await Promise.allSettled([newName("carol", "acc_1", "pc1"), newName("carol", "acc_2", "pc2")]);
      expect(racing.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
      expect(racing.find((r) => r.status === "rejected")).toMatchObject({ reason: { code: "CT_CONFLICT" } });
    });

    it("finds a name by name and by key prefix, and lists an account's names oldest first", async () => {
      const helper = await newName("helper");
      expect(await storage.directory.findNameByName("bob")).toEqual(bob);
      expect(await storage.directory.findNameByKeyPrefix("phelper")).toEqual(helper);
      expect(await storage.directory.findNameByName("nobody")).toBeUndefined();
      expect(await storage.directory.findNameByKeyPrefix("pnobody")).toBeUndefined();
      expect((await storage.directory.listNamesOfAccount("acc_1")).map((n) => n.name)).toEqual(["bob", "helper"]);
      expect(await storage.directory.listNamesOfAccount("acc_9")).toEqual([]);
      expect(helper.id).not.toBe(bob.id);
    });

    it("changes only the settings given, and refuses an unknown name with CT_NOT_FOUND", async () => {
      const updated = await storage.directory.updateNameSettings(bob.id, { deliveryPolicy: "allowlist_only", webhookUrl: "http://127.0.0.1:1/hook" });
      expect(updated).toEqual({ ...bob, deliveryPolicy: "allowlist_only", webhookUrl: "http://127.0.0.1:1/hook" });
      expect(await storage.directory.findNameByName("bob")).toEqual(updated);
      expect(await storage.directory.updateNameSettings(bob.id, {})).toEqual(updated);
      await expect(storage.directory.updateNameSettings(999_999, { webhookUrl: null })).rejects.toMatchObject({ code: "CT_NOT_FOUND" });
    });

    it("keeps each name's three lists apart; adding twice keeps the first entry", async () => {
      const first = await storage.directory.addEntry(bob.id, "delivery_block", { id: "e1", entry: "mallory", createdAt: 5 });
      expect(first).toEqual({ id: "e1", entry: "mallory", createdAt: 5 });
      expect(await storage.directory.addEntry(bob.id, "delivery_block", { id: "e2", entry: "mallory", createdAt: 6 })).toEqual(first);
      await storage.directory.addEntry(bob.id, "auto_reply", { id: "e3", entry: "alice", createdAt: 7 });
      expect(await storage.directory.hasEntry(bob.id, "delivery_block", "mallory")).toBe(true);
      expect(await storage.directory.hasEntry(bob.id, "delivery_allow", "mallory")).toBe(false);
      expect(await storage.directory.hasEntry(eve.id, "delivery_block", "mallory")).toBe(false);
      expect(await storage.directory.listEntries(bob.id, "delivery_block")).toEqual([first]);
      expect(await storage.directory.listEntries(bob.id, "auto_reply")).toEqual([{ id: "e3", entry: "alice", createdAt: 7 }]);
      expect(await storage.directory.removeEntry(bob.id, "delivery_block", "mallory")).toBe(true);
      expect(await storage.directory.removeEntry(bob.id, "delivery_block", "mallory")).toBe(false);
      expect(await storage.directory.hasEntry(bob.id, "delivery_block", "mallory")).toBe(false);
      expect(await storage.directory.listEntries(bob.id, "delivery_block")).toEqual([]);
    });

    it("replaces a name's key: the old prefix finds nothing, the new one the same name; an unknown name is CT_NOT_FOUND", async () => {
      const replaced = await storage.directory.replaceNameKey(bob.id, "pnewbob", "new hash");
      expect(replaced).toEqual({ ...bob, keyPrefix: "pnewbob", keyHash: "new hash" });
      expect(await storage.directory.findNameByKeyPrefix("pbob")).toBeUndefined();
      expect(await storage.directory.findNameByKeyPrefix("pnewbob")).toEqual(replaced);
      expect(await storage.directory.findNameByKeyPrefix("peve")).toEqual(eve);
      await expect(storage.directory.replaceNameKey(999_999, "pnobody", "h")).rejects.toMatchObject({ code: "CT_NOT_FOUND" });
    });

    it("lists names by name with their account's email: all, by account, by email", async () => {
      await newName("alice");
      const listed = await storage.directory.listNames({});
      expect(listed.map((n) => [n.name, n.email])).toEqual([
        ["alice", "team@example.com"],
        ["bob", "team@example.com"],
        ["eve", "eve@example.com"],
      ]);
      expect(listed[1]).toEqual({ ...bob, email: "team@example.com" });
      expect((await storage.directory.listNames({ accountId: "acc_2" })).map((n) => n.name)).toEqual(["eve"]);
      expect((await storage.directory.listNames({ email: "team@example.com" })).map((n) => n.name)).toEqual(["alice", "bob"]);
      expect(await storage.directory.listNames({ email: "nobody@example.com" })).toEqual([]);
    });

    it("deletes a name: no lookup finds it, its lists and the entries naming it go, and the name is free again", async () => {
      await storage.directory.addEntry(bob.id, "delivery_block", { id: "b1", entry: "mallory", createdAt: 5 });
      await storage.directory.addEntry(eve.id, "delivery_allow", { id: "e1", entry: "bob", createdAt: 5 });
      await storage.directory.addEntry(eve.id, "delivery_allow", { id: "e2", entry: "carol", createdAt: 6 });
      expect(await storage.directory.hasEntry(eve.id, "delivery_allow", "bob")).toBe(true);
      const helper = await newName("helper");
      expect(await storage.directory.deleteName(bob.id)).toEqual({ messages: 0, files: 0 });
      expect(await storage.directory.findNameByName("bob")).toBeUndefined();
      expect(await storage.directory.findNameByKeyPrefix("pbob")).toBeUndefined();
      expect(await storage.directory.listNamesOfAccount("acc_1")).toEqual([helper]);
      expect((await storage.directory.listNames({})).map((n) => n.name)).toEqual(["eve", "helper"]);
      expect(await storage.directory.listEntries(bob.id, "delivery_block")).toEqual([]);
      expect((await storage.directory.listEntries(eve.id, "delivery_allow")).map((e) => e.entry)).toEqual(["carol"]);
      expect(await storage.directory.hasEntry(eve.id, "delivery_allow", "bob")).toBe(false);
      await expect(storage.directory.deleteName(bob.id)).rejects.toMatchObject({ code: "CT_NOT_FOUND" });
      await expect(storage.directory.deleteName(999_999)).rejects.toMatchObject({ code: "CT_NOT_FOUND" });
      const again = await newName("bob", "acc_2", "pbob2");
      expect(again.id).not.toBe(bob.id);
      expect(await storage.directory.findNameByName("bob")).toEqual(again);
    });

    it("keeps the audit log newest first, by name, up to the limit", async () => {
      const entry = (at: number, name: string | null) => ({ at, action: "key.rotated", name, actor: "admin", ip: at % 2 === 0 ? "127.0.0.1" : null, detail: null });
      for (const [at, name] of [[1, "bob"], [2, "eve"], [3, "bob"], [4, null]] as const) await storage.directory.appendAudit(entry(at, name));
      const all = await storage.directory.listAudit({ limit: 10 });
      expect(all.map((e) => [e.at, e.name])).toEqual([[4, null], [3, "bob"], [2, "eve"], [1, "bob"]]);
      expect(all[0]).toEqual({ id: expect.any(Number), ...entry(4, null) });
      expect((await storage.directory.listAudit({ name: "bob", limit: 10 })).map((e) => e.at)).toEqual([3, 1]);
      expect((await storage.directory.listAudit({ limit: 2 })).map((e) => e.at)).toEqual([4, 3]);
      expect((await storage.directory.listAudit({ name: "bob", limit: 1 })).map((e) => e.at)).toEqual([3]);
    });
  });

  describe("profiles", () => {
    const fields = (tagline: string, description = ""): ProfileFields => ({ ...EMPTY_PROFILE, tagline, description });
    const write = (name: NameRecord, f: ProfileFields, visible = true, updatedAt = 50) =>
      storage.profiles.update(name.id, () => ({ nameId: name.id, name: name.name, fields: f, visible, listed: isListed(f, visible), updatedAt, terms: profileTerms(name.name, f) }));
    const found = async (query: Partial<DirectoryQuery>): Promise<string[]> =>
      (await storage.profiles.search({ words: [], limit: 50, ...query })).map((p) => p.name);

    it("stores a profile whole and hands the current one to the next change", async () => {
      expect(await storage.profiles.find(bob.id)).toBeUndefined();
      const stored = await write(bob, { ...fields("Builds", "Things"), skills: ["Go"], portfolio: [{ title: "A", url: null, description: "" }] });
      expect(stored).toEqual({ nameId: bob.id, name: "bob", fields: { ...fields("Builds", "Things"), skills: ["Go"], portfolio: [{ title: "A", url: null, description: "" }] }, visible: true, listed: true, updatedAt: 50 });
      expect(await storage.profiles.find(bob.id)).toEqual(stored);
      let seen: unknown;
      await storage.profiles.update(bob.id, (current) => {
        seen = current;
        return { ...stored, visible: false, listed: false, updatedAt: 60, terms: [] };
      });
      expect(seen).toEqual(stored);
      expect(await storage.profiles.find(bob.id)).toMatchObject({ visible: false, listed: false, updatedAt: 60 });
    });

    it("searches listed profiles in name order by word prefix, skill and category, after a cursor", async () => {
      const carol = await newName("carol");
      const dave = await newName("dave");
      await write(bob, { ...fields("Python tools", "Scripts"), skills: ["python"], categories: ["development"] });
      await write(carol, { ...fields("Pythonic data", "Frames"), categories: ["data"] });
      await write(dave, fields("Python secrets", "Hidden"), false);
      await write(eve, fields("No description"));
      expect(await found({})).toEqual(["bob", "carol"]);
      expect(await found({ words: ["pyth"] })).toEqual(["bob", "carol"]);
      expect(await found({ words: ["pythonic"] })).toEqual(["carol"]);
      expect(await found({ words: ["pyth", "scr"] })).toEqual(["bob"]);
      expect(await found({ words: ["ython"] })).toEqual([]);
      expect(await found({ skill: "python" })).toEqual(["bob"]);
      expect(await found({ category: "data" })).toEqual(["carol"]);
      expect(await found({ after: "bob" })).toEqual(["carol"]);
      expect(await found({ limit: 1 })).toEqual(["bob"]);
    });

    it("goes with its name", async () => {
      await write(bob, fields("Gone soon", "Bye"));
      await storage.directory.deleteName(bob.id);
      expect(await storage.profiles.find(bob.id)).toBeUndefined();
      expect(await found({ words: ["gone"] })).toEqual([]);
    });
  });

  describe("messages", () => {
    it("keeps each recipient's messages in send order, and orders several recipients' by seq", async () => {
      for (const [id, to] of [["b1", bob], ["e1", eve], ["b2", bob], ["e2", eve], ["b3", bob]] as const) {
        await storage.messages.insert([message(id, to)]);
      }
      expect(ids(await storage.messages.listUnacked([bob.id], 10))).toEqual(["b1", "b2", "b3"]);
      expect(ids(await storage.messages.listUnacked([eve.id, bob.id], 10))).toEqual(["b1", "e1", "b2", "e2", "b3"]);
      expect(ids(await storage.messages.listUnacked([eve.id, bob.id], 3))).toEqual(["b1", "e1", "b2"]);
      const seqs = (await storage.messages.listUnacked([bob.id, eve.id], 10)).map((m) => m.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(seqs.length);
    });

    it("stores every one of many concurrent sends once, each with its own seq, and a batch in its order", async () => {
      await Promise.all(Array.from({ length: 40 }, (_, i) => storage.messages.insert([message(`c${i}`, bob)])));
      await storage.messages.insert([message("x1", bob), message("x2", bob), message("x3", bob)]);
      const stored = await storage.messages.listUnacked([bob.id], 100);
      expect(ids(stored).slice(0, 40).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `c${i}`).sort());
      expect(ids(stored).slice(40)).toEqual(["x1", "x2", "x3"]);
      expect(new Set(stored.map((m) => m.seq)).size).toBe(43);
    });

    it("answers a stored message whole with its state, and an unknown id with nothing", async () => {
      const file = { fileId: "f1", filename: "notes.txt", mimeType: "text/plain", size: 5 };
      await storage.messages.insert([{ ...message("m1", bob), replyTo: "m0", autoReplyEligible: true, attachments: [file] }]);
      const found = await storage.messages.find("m1");
      expect(found).toMatchObject({ ...message("m1", bob), replyTo: "m0", autoReplyEligible: true, attachments: [file], readAt: null, ackedAt: null });
      expect(found?.seq).toBeGreaterThan(0);
      expect(await storage.messages.find("nope")).toBeUndefined();
    });

    it("keeps any text whole, U+0000 and backslashes included, and finds nothing by an id that is not there", async () => {
      const odd = ["a\u0000b", "\\0 and \u0000\\", "\uFDD0starts with a noncharacter", "\uFDD0\u0000"];
      for (const [i, text] of odd.entries()) {
        await storage.messages.insert([{ ...message(`odd${i}`, bob), subject: text, body: text, threadId: text, replyTo: text }]);
        expect(await storage.messages.find(`odd${i}`)).toMatchObject({ subject: text, body: text, threadId: text, replyTo: text });
      }
      expect(await storage.messages.find("odd0\u0000")).toBeUndefined();
      expect(await storage.messages.ack([bob.id], ["\u0000"], 5)).toEqual([]);
      expect(await storage.directory.findNameByName("bob\u0000")).toBeUndefined();
    });

    it("skips excluded seqs and still fills the limit", async () => {
      await storage.messages.insert([message("a", bob), message("b", bob), message("c", bob)]);
      const [first] = await storage.messages.listUnacked([bob.id], 1);
      expect(ids(await storage.messages.listUnacked([bob.id], 2, new Set([first?.seq ?? -1])))).toEqual(["b", "c"]);
    });

    it("hides a claimed message from other claims until its lease ends, then hands it out again", async () => {
      await storage.messages.insert([message("a", bob), message("b", bob), message("c", bob)]);
      expect(ids(await claim([bob.id], 2, 100, 1_000))).toEqual(["a", "b"]);
      expect(ids(await claim([bob.id], 10, 500))).toEqual(["c"]);
      expect(await claim([bob.id], 10, 600)).toEqual([]);
      // a and b were leased until 1100, c until 1500.
      expect(await storage.messages.pendingState([bob.id], 700)).toEqual({ unacked: true, nextLeaseEnd: 1_100 });
      expect(ids(await claim([bob.id], 10, 1_100))).toEqual(["a", "b"]);
      expect(await storage.messages.pendingState([eve.id], 700)).toEqual({ unacked: false, nextLeaseEnd: undefined });
      // The claims did not change what is unacked.
      expect(ids(await storage.messages.listUnacked([bob.id], 10))).toEqual(["a", "b", "c"]);
    });

    it("tells whether any unacked message is there, leased or not, and when the earliest live lease ends", async () => {
      expect(await storage.messages.pendingState([bob.id, eve.id], 100)).toEqual({ unacked: false, nextLeaseEnd: undefined });
      await storage.messages.insert([message("a", bob), message("b", bob)]);
      expect(await storage.messages.pendingState([bob.id], 100)).toEqual({ unacked: true, nextLeaseEnd: undefined });
      expect(await storage.messages.pendingState([eve.id], 100)).toEqual({ unacked: false, nextLeaseEnd: undefined });
      expect(ids(await claim([bob.id], 10, 100, 1_000))).toEqual(["a", "b"]);
      // Both leased: nothing to claim, yet not empty.
      expect(await storage.messages.pendingState([eve.id, bob.id], 200)).toEqual({ unacked: true, nextLeaseEnd: 1_100 });
      // The leases have ended: still unacked, no live lease.
      expect(await storage.messages.pendingState([bob.id], 1_100)).toEqual({ unacked: true, nextLeaseEnd: undefined });
      expect(ids(await storage.messages.ack([bob.id], ["a", "b"], 300))).toEqual(["a", "b"]);
      expect(await storage.messages.pendingState([bob.id], 300)).toEqual({ unacked: false, nextLeaseEnd: undefined });
    });

    it("never hands one message to two claims that run at once", async () => {
      await storage.messages.insert(Array.from({ length: 12 }, (_, i) => message(`m${i}`, bob)));
      const claims = await Promise.all(Array.from({ length: 20 }, () => claim([bob.id], 1)));
      const handed = claims.flatMap(ids);
      expect(handed).toHaveLength(12);
      expect(new Set(handed).size).toBe(12);
    });

    it("acks only the given recipients' messages, idempotently, and an acked message is never handed out again", async () => {
      await storage.messages.insert([message("to-bob", bob), message("to-eve", eve), message("later", bob)]);
      expect(ids(await claim([bob.id], 10))).toEqual(["to-bob", "later"]);
      expect(ids(await storage.messages.ack([bob.id], ["to-bob", "to-eve", "unknown"], 50))).toEqual(["to-bob"]);
      expect(await storage.messages.ack([bob.id], ["to-bob"], 60)).toEqual([expect.objectContaining({ id: "to-bob", recipientId: bob.id })]);
      expect((await storage.messages.find("to-bob"))?.ackedAt).toBe(50);
      expect((await storage.messages.find("to-eve"))?.ackedAt).toBeNull();
      expect(await storage.messages.ack([], ["to-eve"], 70)).toEqual([]);
      expect(await storage.messages.ack([bob.id], [], 70)).toEqual([]);
      // Long after every lease: only what is unacked comes back.
      expect(ids(await claim([bob.id, eve.id], 10, 10_000))).toEqual(["to-eve", "later"]);
      expect(ids(await storage.messages.listUnacked([bob.id, eve.id], 10))).toEqual(["to-eve", "later"]);
    });

    it("answers acks that run at once each with its own recipients' messages (a backend may write them together)", async () => {
      const sent = Array.from({ length: 12 }, (_, i) => [message(`bob-${i}`, bob), message(`eve-${i}`, eve)]).flat();
      await storage.messages.insert(sent);
      // Each call names one of bob's and one of eve's; half ack as bob, half as eve.
      const calls = Array.from({ length: 12 }, (_, i) => ({ as: i % 2 === 0 ? bob : eve, ids: [`bob-${i}`, `eve-${i}`], at: 100 + i }));
      const answers = await Promise.all(calls.map((c) => storage.messages.ack([c.as.id], c.ids, c.at)));
      answers.forEach((answer, i) => {
        const own = i % 2 === 0 ? `bob-${i}` : `eve-${i}`;
        expect(answer).toEqual([expect.objectContaining({ id: own, recipientId: calls[i]?.as.id })]);
      });
      // Asked again at once, as bob and as eve: each is answered with its own one, acked before.
      const again = await Promise.all([storage.messages.ack([bob.id], ["bob-0", "eve-1"], 200), storage.messages.ack([eve.id], ["bob-0", "eve-1"], 201)]);
      expect(again.map(ids)).toEqual([["bob-0"], ["eve-1"]]);
      for (let i = 0; i < 12; i++) {
        const own = i % 2 === 0 ? `bob-${i}` : `eve-${i}`;
        const other = i % 2 === 0 ? `eve-${i}` : `bob-${i}`;
        expect((await storage.messages.find(own))?.ackedAt).toBe(100 + i);
        expect((await storage.messages.find(other))?.ackedAt).toBeNull();
      }
    });

    it("ends the leases of a connection that closed, and with a resume point those after it", async () => {
      await storage.messages.insert([message("a", bob), message("b", bob), message("c", bob), message("d", bob)]);
      const gone = fakeConnection();
      const staying = fakeConnection();
      expect(ids(await claim([bob.id], 2, 100, 60_000, gone))).toEqual(["a", "b"]);
      expect(ids(await claim([bob.id], 2, 100, 60_000, staying))).toEqual(["c", "d"]);
      await storage.messages.releaseLeases([bob.id]);
      expect(await claim([bob.id], 10, 200)).toEqual([]);
      gone.close();
      await storage.messages.releaseLeases([eve.id]);
      expect(await claim([bob.id], 10, 200)).toEqual([]);
      await storage.messages.releaseLeases([bob.id]);
      expect(ids(await claim([bob.id], 10, 200, 60_000, staying))).toEqual(["a", "b"]);
      // A stream resuming after "b": everything after it is deliverable again, whoever held it.
      const b = await storage.messages.find("b");
      await storage.messages.releaseLeases([bob.id], b?.seq);
      expect(ids(await claim([bob.id], 10, 300))).toEqual(["c", "d"]);
    });

    it("lists a recipient's history with read marks and counts it", async () => {
      await storage.messages.insert([message("m1", bob), message("m2", bob), message("m3", bob), message("other", eve)]);
      await storage.messages.ack([bob.id], ["m1"], 40);
      expect(await storage.messages.markRead(bob.id, "m2", 50)).toBe(true);
      expect(await storage.messages.markRead(bob.id, "m2", 60)).toBe(true);
      expect(await storage.messages.markRead(bob.id, "other", 60)).toBe(false);
      expect(await storage.messages.markRead(bob.id, "nope", 60)).toBe(false);
      const inbox = await storage.messages.listInbox(bob.id, { limit: 10, offset: 0, unreadOnly: false });
      expect(inbox.map((m) => [m.id, m.readAt, m.ackedAt])).toEqual([
        ["m1", null, 40],
        ["m2", 50, null],
        ["m3", null, null],
      ]);
      expect(ids(await storage.messages.listInbox(bob.id, { limit: 10, offset: 0, unreadOnly: true }))).toEqual(["m3"]);
      expect(ids(await storage.messages.listInbox(bob.id, { limit: 1, offset: 1, unreadOnly: false }))).toEqual(["m2"]);
      expect(await storage.messages.count(bob.id)).toEqual({ total: 3, unacked: 2, unread: 1 });
      expect(await storage.messages.count(999_999)).toEqual({ total: 0, unacked: 0, unread: 0 });
    });

    it("finds each attachment with its message, recipient and sender", async () => {
      const file = { fileId: "f1", filename: "notes.txt", mimeType: "text/plain", size: 5 };
      await storage.messages.insert([{ ...message("with-file", bob), attachments: [file] }]);
      expect((await claim([bob.id], 10))[0]?.attachments).toEqual([file]);
      expect(await storage.messages.findFile("f1")).toEqual({ ...file, messageId: "with-file", recipientId: bob.id, sender: "alice" });
      expect(await storage.messages.findFile("f2")).toBeUndefined();
    });

    it("purges acked messages after their grace and unacked ones after expiry, with their files", async () => {
      const file = { fileId: "f1", filename: "old.txt", mimeType: "text/plain", size: 3 };
      await storage.messages.insert([
        { ...message("old-unacked", bob, 5), attachments: [file] },
        message("acked", bob, 20),
        message("fresh", bob, 30),
      ]);
      await storage.messages.ack([bob.id], ["acked"], 40);
      expect(await storage.messages.purge(41, 10)).toEqual({ acked: 1, expired: 1, fileIds: ["f1"] });
      expect(await storage.messages.findFile("f1")).toBeUndefined();
      expect(await storage.messages.find("acked")).toBeUndefined();
      expect(await storage.messages.find("old-unacked")).toBeUndefined();
      expect(ids(await storage.messages.listUnacked([bob.id], 10))).toEqual(["fresh"]);
      expect(ids(await claim([bob.id], 10))).toEqual(["fresh"]);
      expect(ids(await storage.messages.listInbox(bob.id, { limit: 10, offset: 0, unreadOnly: false }))).toEqual(["fresh"]);
      expect(await storage.messages.purge(41, 10)).toEqual({ acked: 0, expired: 0, fileIds: [] });
    });

    it("gives messages sent after a purge higher seqs than any before", async () => {
      await storage.messages.insert([message("old", bob, 5)]);
      const old = await storage.messages.find("old");
      await storage.messages.purge(0, 10);
      await storage.messages.insert([message("new", bob, 20)]);
      expect((await storage.messages.find("new"))?.seq).toBeGreaterThan(old?.seq ?? Number.POSITIVE_INFINITY);
    });
  });
});
