// The embedded backend's own workings: messages behind the fsync'd journal, handed over to the SQLite archive in
// batches, recovered after a crash. What every backend must do is in test/integration/server/storage-contract.test.ts.
import { mkdir, mkdtemp, open, readFile, readdir, rm, stat } from "node:fs/promises";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JOURNAL_FILE, openEmbeddedStorage, openSqliteArchive, type Storage } from "../../../src/server/index.js";
import { readMessageJournal } from "../../../src/server/store/message-journal.js";
import type { NewMessage } from "../../../src/server/store/index.js";
import { nameRecord, newMessage } from "../../helpers/store-records.js";

describe("the embedded storage", () => {
  let dir: string;
  let storage: Storage;
  /** Long enough that nothing is handed to the archive unless a test makes it. */
  const NO_FLUSH = 600_000;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-store-"));
    storage = await openEmbeddedStorage({ dataDir: dir, flushIntervalMs: NO_FLUSH });
    await storage.directory.insertAccount({ id: "acc_1", email: "a@example.com", createdAt: 1 });
  });
  afterEach(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  const addName = (name: string, prefix: string) => storage.directory.insertName(nameRecord(name, "acc_1", prefix, "hash"));
  const message = (id: string, recipientId: number, createdAt = 10): NewMessage => newMessage(id, { id: recipientId, name: "bob" }, createdAt);

  const journalLines = () => readMessageJournal(join(dir, JOURNAL_FILE)).lines;

  it("journals concurrent inserts as one group and keeps their order", async () => {
    const bob = await addName("bob", "p1");
    await Promise.all(Array.from({ length: 50 }, (_, i) => storage.messages.insert([message(`m${i}`, bob.id)])));
    expect(journalLines()).toHaveLength(1);
    expect(journalLines()[0]?.messages?.map((m) => m.id)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect((await storage.messages.listUnacked([bob.id], 100)).map((m) => m.id)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
  });

  it("keeps data across reopen and writes the database owner-only", async () => {
    const bob = await addName("bob", "p1");
    await storage.messages.insert([message("kept", bob.id)]);
    await storage.close();
    storage = await openEmbeddedStorage({ dataDir: dir });
    expect((await storage.messages.find("kept"))?.body).toBe("body kept");
    expect((await storage.messages.listUnacked([bob.id], 10)).map((m) => m.id)).toEqual(["kept"]);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const files = await readdir(dir);
    expect(files).toEqual(expect.arrayContaining(["clawtell.db", JOURNAL_FILE]));
    for (const file of files) expect({ file, mode: (await stat(join(dir, file))).mode & 0o777 }).toEqual({ file, mode: 0o600 });
  });

  it("keeps leases in memory only: after a restart every unacked message is deliverable at once", async () => {
    const bob = await addName("bob", "p1");
    await storage.messages.insert([message("leased", bob.id)]);
    expect((await storage.messages.claim([bob.id], { limit: 10, now: 100, leaseUntil: 600_000 })).map((m) => m.id)).toEqual(["leased"]);
    await storage.close();
    storage = await openEmbeddedStorage({ dataDir: dir, flushIntervalMs: NO_FLUSH });
    expect((await storage.messages.claim([bob.id], { limit: 10, now: 200, leaseUntil: 600_000 })).map((m) => m.id)).toEqual(["leased"]);
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
    const reopened = openSqliteArchive({ dataDir: old });
    try {
      expect(reopened.findMessage("before")).toMatchObject({ body: "from the old version", attachments: [] });
    } finally {
      reopened.close();
    }
  });

  it("recovers journaled sends and acks the archive never got, as after a crash", async () => {
    const bob = await addName("bob", "p1");
    await storage.messages.insert([message("acked", bob.id), message("waiting", bob.id)]);
    await storage.messages.ack([bob.id], ["acked"], 50);
    // The first store is never closed: the second one opens the folder as a restart after SIGKILL would.
    const after = await openEmbeddedStorage({ dataDir: dir, flushIntervalMs: NO_FLUSH });
    try {
      expect((await after.messages.listUnacked([bob.id], 10)).map((m) => m.id)).toEqual(["waiting"]);
      expect((await after.messages.find("acked"))?.ackedAt).toBe(50);
      expect(journalLines()).toEqual([]);
      // Seqs go on after the recovered ones: order holds across the restart.
      await after.messages.insert([message("next", bob.id)]);
      expect((await after.messages.listUnacked([bob.id], 10)).map((m) => m.id)).toEqual(["waiting", "next"]);
    } finally {
      await after.close();
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
    const bob = await addName("bob", "p1");
    await storage.messages.insert([message("whole", bob.id)]);
    const generation = await generationOf();
    const older = (Number.parseInt(generation, 16) - 1).toString(16);
    const torn = encodeLine(generation, { messages: [{ ...message("torn", bob.id), seq: 900 }] }).slice(0, 60);
    await writeAfterLines(`${encodeLine(older, { messages: [{ ...message("stale", bob.id), seq: 901 }] })}${torn}`);
    const after = await openEmbeddedStorage({ dataDir: dir, flushIntervalMs: NO_FLUSH });
    try {
      expect((await after.messages.listUnacked([bob.id], 10)).map((m) => m.id)).toEqual(["whole"]);
      expect(await after.messages.find("torn")).toBeUndefined();
      expect(await after.messages.find("stale")).toBeUndefined();
    } finally {
      await after.close();
    }
  });

  it("keeps every intact line behind a damaged one", async () => {
    const bob = await addName("bob", "p1");
    await storage.messages.insert([message("before", bob.id)]);
    const generation = await generationOf();
    const damaged = encodeLine(generation, { messages: [{ ...message("damaged", bob.id), seq: 900 }] }).replace("body damaged", "body dAmaged");
    await writeAfterLines(`${damaged}${encodeLine(generation, { messages: [{ ...message("after", bob.id), seq: 901 }] })}`);
    const after = await openEmbeddedStorage({ dataDir: dir, flushIntervalMs: NO_FLUSH });
    try {
      expect((await after.messages.listUnacked([bob.id], 10)).map((m) => m.id)).toEqual(["before", "after"]);
      expect(await after.messages.find("damaged")).toBeUndefined();
    } finally {
      await after.close();
    }
  });

  it("hands journaled messages and acks to the archive after the flush interval, then empties the journal", async () => {
    await storage.close();
    storage = await openEmbeddedStorage({ dataDir: dir, flushIntervalMs: 20 });
    const bob = await addName("bob", "p1");
    const reader = openSqliteArchive({ dataDir: dir });
    try {
      await storage.messages.insert([message("m1", bob.id), message("m2", bob.id)]);
      await storage.messages.ack([bob.id], ["m1"], 70);
      for (let i = 0; i < 200 && reader.findMessage("m2") === undefined; i++) await new Promise((r) => setTimeout(r, 5));
      expect(reader.findMessage("m1")?.ackedAt).toBe(70);
      expect(reader.findMessage("m2")?.ackedAt).toBeNull();
      expect(journalLines()).toEqual([]);
      // The pending message is now read from the archive, whole.
      expect(await storage.messages.listUnacked([bob.id], 10)).toEqual([expect.objectContaining({ id: "m2", body: "body m2" })]);
      await storage.messages.ack([bob.id], ["m2"], 80);
      for (let i = 0; i < 200 && reader.findMessage("m2")?.ackedAt !== 80; i++) await new Promise((r) => setTimeout(r, 5));
      expect(reader.findMessage("m2")?.ackedAt).toBe(80);
    } finally {
      reader.close();
    }
  });

  it("answers history reads with what is still only in the journal", async () => {
    const bob = await addName("bob", "p1");
    await storage.messages.insert([message("fresh", bob.id)]);
    expect(await storage.messages.count(bob.id)).toEqual({ total: 1, unacked: 1, unread: 1 });
    expect(await storage.messages.markRead(bob.id, "fresh", 90)).toBe(true);
    expect(await storage.messages.listInbox(bob.id, { limit: 10, offset: 0, unreadOnly: false })).toEqual([
      expect.objectContaining({ id: "fresh", readAt: 90 }),
    ]);
  });
});
