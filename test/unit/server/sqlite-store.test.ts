import { mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteStore, type Store } from "../../../src/server/index.js";
import type { NewMessage } from "../../../src/server/store/store.js";

describe("SQLite store", () => {
  let dir: string;
  let store: Store;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-store-"));
    store = openSqliteStore({ dataDir: dir });
    store.insertAccount({ id: "acc_1", email: "a@example.com", createdAt: 1 });
  });
  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const addName = (name: string, prefix: string) =>
    store.insertName({
      name,
      accountId: "acc_1",
      keyPrefix: prefix,
      keyHash: "hash",
      communicationMode: "allowlist_only",
      deliveryPolicy: "everyone",
      webhookUrl: null,
      webhookSecret: null,
      createdAt: 1,
    });
  const message = (id: string, recipientId: number, createdAt = 10): NewMessage => ({
    id,
    recipientId,
    recipient: "bob",
    sender: "alice",
    subject: "Message",
    body: `body ${id}`,
    threadId: id,
    replyTo: null,
    autoReplyEligible: false,
    createdAt,
    attachments: [],
  });

  it("refuses a taken name with CT_CONFLICT", () => {
    addName("bob", "p1");
    expect(() => addName("bob", "p2")).toThrow(expect.objectContaining({ code: "CT_CONFLICT" }));
  });

  it("commits concurrent inserts in one group and keeps their order", async () => {
    const bob = addName("bob", "p1");
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.insertMessages([message(`m${i}`, bob.id)])));
    expect(store.listUnacked([bob.id], 100, new Set()).map((m) => m.id)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
  });

  it("fails only the offending insert of a group", async () => {
    const bob = addName("bob", "p1");
    const results = await Promise.allSettled([
      store.insertMessages([message("same", bob.id)]),
      store.insertMessages([message("same", bob.id)]),
      store.insertMessages([message("other", bob.id)]),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  });

  it("skips excluded seqs and still fills the limit", async () => {
    const bob = addName("bob", "p1");
    await store.insertMessages([message("a", bob.id), message("b", bob.id), message("c", bob.id)]);
    const [first] = store.listUnacked([bob.id], 1, new Set());
    expect(store.listUnacked([bob.id], 2, new Set([first?.seq ?? -1])).map((m) => m.id)).toEqual(["b", "c"]);
  });

  it("acks only messages of the given recipients, idempotently", async () => {
    const bob = addName("bob", "p1");
    const eve = addName("eve", "p2");
    await store.insertMessages([message("to-bob", bob.id), message("to-eve", eve.id)]);
    expect((await store.ackMessages([bob.id], ["to-bob", "to-eve"], 50)).map((m) => m.id)).toEqual(["to-bob"]);
    expect((await store.ackMessages([bob.id], ["to-bob"], 60)).map((m) => m.id)).toEqual(["to-bob"]);
    expect(store.findMessage("to-bob")?.ackedAt).toBe(50);
    expect(store.listUnacked([bob.id, eve.id], 10, new Set()).map((m) => m.id)).toEqual(["to-eve"]);
  });

  it("keeps a message's attachments with it and finds each file with its message", async () => {
    const bob = addName("bob", "p1");
    const file = { fileId: "f1", filename: "notes.txt", mimeType: "text/plain", size: 5 };
    await store.insertMessages([{ ...message("with-file", bob.id), attachments: [file] }]);
    expect(store.listUnacked([bob.id], 10, new Set())[0]?.attachments).toEqual([file]);
    expect(store.findFile("f1")).toEqual({ ...file, messageId: "with-file", recipientId: bob.id, sender: "alice" });
    expect(store.findFile("f2")).toBeUndefined();
  });

  it("purges acked messages after their grace and unacked ones after expiry, with their files", async () => {
    const bob = addName("bob", "p1");
    const file = { fileId: "f1", filename: "old.txt", mimeType: "text/plain", size: 3 };
    await store.insertMessages([
      { ...message("old-unacked", bob.id, 5), attachments: [file] },
      message("acked", bob.id, 20),
      message("fresh", bob.id, 30),
    ]);
    await store.ackMessages([bob.id], ["acked"], 40);
    expect(store.purge(41, 10)).toEqual({ acked: 1, expired: 1, fileIds: ["f1"] });
    expect(store.findFile("f1")).toBeUndefined();
    expect(store.listInbox(bob.id, { limit: 10, offset: 0, unreadOnly: false }).map((m) => m.id)).toEqual(["fresh"]);
  });

  it("keeps data across reopen and writes the database owner-only", async () => {
    const bob = addName("bob", "p1");
    await store.insertMessages([message("kept", bob.id)]);
    store.close();
    store = openSqliteStore({ dataDir: dir });
    expect(store.findMessage("kept")?.body).toBe("body kept");
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const files = await readdir(dir);
    expect(files).toContain("clawtell.db");
    for (const file of files) expect({ file, mode: (await stat(join(dir, file))).mode & 0o777 }).toEqual({ file, mode: 0o600 });
  });

  it("opens a database from before attachments and adds their column", async () => {
    const old = join(dir, "old");
    await mkdir(old);
    const db = new DatabaseSync(join(old, "clawtell.db"));
    db.exec(`CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, recipient_id INTEGER NOT NULL,
      recipient TEXT NOT NULL, sender TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL, thread_id TEXT NOT NULL,
      reply_to TEXT, auto_reply_eligible INTEGER NOT NULL, created_at INTEGER NOT NULL, read_at INTEGER, acked_at INTEGER);
      INSERT INTO messages (id, recipient_id, recipient, sender, subject, body, thread_id, auto_reply_eligible, created_at)
      VALUES ('before', 1, 'bob', 'alice', 'Message', 'from the old version', 'before', 0, 1);`);
    db.close();
    const reopened = openSqliteStore({ dataDir: old });
    try {
      expect(reopened.findMessage("before")).toMatchObject({ body: "from the old version", attachments: [] });
    } finally {
      reopened.close();
    }
  });

  it("finds accounts by id and by email", () => {
    expect(store.findAccountById("acc_1")).toEqual({ id: "acc_1", email: "a@example.com", createdAt: 1 });
    expect(store.findAccountByEmail("a@example.com")?.id).toBe("acc_1");
    expect(store.findAccountById("acc_2")).toBeUndefined();
  });
});
