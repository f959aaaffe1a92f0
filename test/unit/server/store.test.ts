// The server's store: messages behind the fsync'd journal, handed over to the SQLite archive in batches.
import { mkdir, mkdtemp, open, readFile, readdir, rm, stat } from "node:fs/promises";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JOURNAL_FILE, openSqliteStore, openStore, type Store } from "../../../src/server/index.js";
import { readMessageJournal } from "../../../src/server/store/message-journal.js";
import type { NewMessage } from "../../../src/server/store/store.js";

describe("the server store", () => {
  let dir: string;
  let store: Store;
  /** Long enough that nothing is handed to the archive unless a test makes it. */
  const NO_FLUSH = 600_000;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-store-"));
    store = openStore({ dataDir: dir, flushIntervalMs: NO_FLUSH });
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

  const journalLines = () => readMessageJournal(join(dir, JOURNAL_FILE)).lines;

  it("journals concurrent inserts as one group and keeps their order", async () => {
    const bob = addName("bob", "p1");
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.insertMessages([message(`m${i}`, bob.id)])));
    expect(journalLines()).toHaveLength(1);
    expect(journalLines()[0]?.messages?.map((m) => m.id)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect(store.listUnacked([bob.id], 100, new Set()).map((m) => m.id)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
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
    expect(store.listUnacked([bob.id], 10, new Set()).map((m) => m.id)).toEqual(["fresh"]);
    expect(store.listInbox(bob.id, { limit: 10, offset: 0, unreadOnly: false }).map((m) => m.id)).toEqual(["fresh"]);
  });

  it("keeps data across reopen and writes the database owner-only", async () => {
    const bob = addName("bob", "p1");
    await store.insertMessages([message("kept", bob.id)]);
    store.close();
    store = openStore({ dataDir: dir });
    expect(store.findMessage("kept")?.body).toBe("body kept");
    expect(store.listUnacked([bob.id], 10, new Set()).map((m) => m.id)).toEqual(["kept"]);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const files = await readdir(dir);
    expect(files).toEqual(expect.arrayContaining(["clawtell.db", JOURNAL_FILE]));
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

  it("recovers journaled sends and acks the archive never got, as after a crash", async () => {
    const bob = addName("bob", "p1");
    await store.insertMessages([message("acked", bob.id), message("waiting", bob.id)]);
    await store.ackMessages([bob.id], ["acked"], 50);
    // The first store is never closed: the second one opens the folder as a restart after SIGKILL would.
    const after = openStore({ dataDir: dir, flushIntervalMs: NO_FLUSH });
    try {
      expect(after.listUnacked([bob.id], 10, new Set()).map((m) => m.id)).toEqual(["waiting"]);
      expect(after.findMessage("acked")?.ackedAt).toBe(50);
      expect(journalLines()).toEqual([]);
      // Seqs go on after the recovered ones: order holds across the restart.
      await after.insertMessages([message("next", bob.id)]);
      expect(after.listUnacked([bob.id], 10, new Set()).map((m) => m.id)).toEqual(["waiting", "next"]);
    } finally {
      after.close();
    }
  });

  /** Writes raw text into the journal right after its last complete line, as a crash or an old generation leaves it. */
  const writeAfterLines = async (text: string): Promise<string> => {
    const content = await readFile(join(dir, JOURNAL_FILE), "utf8");
    const handle = await open(join(dir, JOURNAL_FILE), "r+");
    await handle.write(text, content.lastIndexOf("\n") + 1);
    await handle.close();
    return content.slice(0, content.indexOf(" "));
  };
  const encodeLine = (generation: string, value: unknown): string => {
    const json = JSON.stringify(value);
    return `${generation} ${crc32(json).toString(16)} ${json}\n`;
  };
  const generationOf = async (): Promise<string> => {
    const content = await readFile(join(dir, JOURNAL_FILE), "utf8");
    return content.slice(0, content.indexOf(" "));
  };

  it("drops a line cut short by a crash, and lines an older generation left behind", async () => {
    const bob = addName("bob", "p1");
    await store.insertMessages([message("whole", bob.id)]);
    const generation = await generationOf();
    const older = (Number.parseInt(generation, 16) - 1).toString(16);
    const torn = encodeLine(generation, { messages: [{ ...message("torn", bob.id), seq: 900 }] }).slice(0, 60);
    await writeAfterLines(`${encodeLine(older, { messages: [{ ...message("stale", bob.id), seq: 901 }] })}${torn}`);
    const after = openStore({ dataDir: dir, flushIntervalMs: NO_FLUSH });
    try {
      expect(after.listUnacked([bob.id], 10, new Set()).map((m) => m.id)).toEqual(["whole"]);
      expect(after.findMessage("torn")).toBeUndefined();
      expect(after.findMessage("stale")).toBeUndefined();
    } finally {
      after.close();
    }
  });

  it("keeps every intact line behind a damaged one", async () => {
    const bob = addName("bob", "p1");
    await store.insertMessages([message("before", bob.id)]);
    const generation = await generationOf();
    const damaged = encodeLine(generation, { messages: [{ ...message("damaged", bob.id), seq: 900 }] }).replace("body damaged", "body dAmaged");
    await writeAfterLines(`${damaged}${encodeLine(generation, { messages: [{ ...message("after", bob.id), seq: 901 }] })}`);
    const after = openStore({ dataDir: dir, flushIntervalMs: NO_FLUSH });
    try {
      expect(after.listUnacked([bob.id], 10, new Set()).map((m) => m.id)).toEqual(["before", "after"]);
      expect(after.findMessage("damaged")).toBeUndefined();
    } finally {
      after.close();
    }
  });

  it("hands journaled messages and acks to the archive after the flush interval, then empties the journal", async () => {
    store.close();
    store = openStore({ dataDir: dir, flushIntervalMs: 20 });
    const bob = addName("bob", "p1");
    const reader = openSqliteStore({ dataDir: dir });
    try {
      await store.insertMessages([message("m1", bob.id), message("m2", bob.id)]);
      await store.ackMessages([bob.id], ["m1"], 70);
      for (let i = 0; i < 200 && reader.findMessage("m2") === undefined; i++) await new Promise((r) => setTimeout(r, 5));
      expect(reader.findMessage("m1")?.ackedAt).toBe(70);
      expect(reader.findMessage("m2")?.ackedAt).toBeNull();
      expect(journalLines()).toEqual([]);
      // The pending message is now read from the archive, whole.
      expect(store.listUnacked([bob.id], 10, new Set())).toEqual([expect.objectContaining({ id: "m2", body: "body m2" })]);
      await store.ackMessages([bob.id], ["m2"], 80);
      for (let i = 0; i < 200 && reader.findMessage("m2")?.ackedAt !== 80; i++) await new Promise((r) => setTimeout(r, 5));
      expect(reader.findMessage("m2")?.ackedAt).toBe(80);
    } finally {
      reader.close();
    }
  });

  it("answers history reads with what is still only in the journal", async () => {
    const bob = addName("bob", "p1");
    await store.insertMessages([message("fresh", bob.id)]);
    expect(store.countMessages(bob.id)).toEqual({ total: 1, unacked: 1, unread: 1 });
    expect(store.markRead(bob.id, "fresh", 90)).toBe(true);
    expect(store.listInbox(bob.id, { limit: 10, offset: 0, unreadOnly: false })).toEqual([
      expect.objectContaining({ id: "fresh", readAt: 90 }),
    ]);
  });

  it("finds accounts by id and by email", () => {
    expect(store.findAccountById("acc_1")).toEqual({ id: "acc_1", email: "a@example.com", createdAt: 1 });
    expect(store.findAccountByEmail("a@example.com")?.id).toBe("acc_1");
    expect(store.findAccountById("acc_2")).toBeUndefined();
  });

  it("keeps one account per email when two creators race: the second gets the account the first stored", () => {
    const second = store.insertAccount({ id: "acc_late", email: "a@example.com", createdAt: 9 });
    expect(second).toEqual({ id: "acc_1", email: "a@example.com", createdAt: 1 });
    expect(store.findAccountById("acc_late")).toBeUndefined();
  });
});
