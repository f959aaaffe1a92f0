// The embedded message store sealing its own content (encryption at rest): each journal line sealed whole, the
// messages of a hand-over sealed for the archive in chunks (many to a seal, a long one alone), a crash's journal
// recovered with the key its lines name, and nothing of the content readable in any file on the way.
import { cp, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ALONE_CHARS,
  CHUNK_ROWS,
  MASTER_KEY_FILE,
  SEAL_PREFIX,
  chunkReference,
  countSealedUnder,
  createContentSealing,
  createSealer,
  folderContentSealing,
  messageContext,
  openAtRestKeys,
  openKeyring,
  resealAll,
  rotateKeyFile,
  spreadChunks,
  type AtRestKeys,
} from "../../../src/server/crypto/index.js";
import { createSilentLogger } from "../../../src/infra/index.js";
import { JOURNAL_FILE, openEmbeddedStorage, type Storage } from "../../../src/server/index.js";
import { openMessageJournal, readMessageJournal } from "../../../src/server/store/message-journal.js";
import type { ContentPair, ContentSealing, NewMessage } from "../../../src/server/store/index.js";
import { nameRecord, newMessage } from "../../helpers/store-records.js";

/** Long enough that nothing is handed to the archive unless a test makes it. */
const NO_FLUSH = 600_000;
const WORDS = ["Xylophonicsubject", "Quinquagenarianbody", "Floccinaucinihilipilification"];

/** A message whose subject and body hold one of the words. */
const secret = (id: string, to: { id: number; name: string }, word: string): NewMessage => ({
  ...newMessage(id, to),
  subject: `about ${word}`,
  body: `the ${word} itself`,
});

/** The files of `dir` holding any of the words. */
async function grep(dir: string): Promise<string[]> {
  const hits: string[] = [];
  for (const file of await readdir(dir)) {
    const bytes = await readFile(join(dir, file)).catch(() => Buffer.alloc(0));
    for (const word of WORDS) if (bytes.includes(Buffer.from(word))) hits.push(`${file}: ${word}`);
  }
  return hits;
}

/** The archive's stored subject and body of each message, by id. */
function storedRows(dir: string): Map<string, ContentPair> {
  const db = new DatabaseSync(join(dir, "clawtell.db"));
  try {
    const rows = db.prepare("SELECT id, subject, body FROM messages ORDER BY seq").all() as Array<{ id: string; subject: string; body: string }>;
    return new Map(rows.map((r) => [r.id, { subject: r.subject, body: r.body }]));
  } finally {
    db.close();
  }
}

describe("the embedded store's sealed content", () => {
  let dir: string;
  let keys: AtRestKeys;
  const open: Storage[] = [];
  const openStorage = async (dataDir: string, sealing: ContentSealing): Promise<Storage> => {
    const storage = await openEmbeddedStorage({ dataDir, flushIntervalMs: NO_FLUSH, sealing });
    open.push(storage);
    return storage;
  };
  const withBob = async (storage: Storage): Promise<{ id: number; name: string }> => {
    await storage.directory.insertAccount({ id: "acc_1", email: "a@example.com", createdAt: 1 });
    const bob = await storage.directory.insertName(nameRecord("bob", "acc_1", "p1"));
    return { id: bob.id, name: "bob" };
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-sealed-store-"));
    keys = openAtRestKeys({ encryption: {}, dataDir: dir });
  });
  afterEach(async () => {
    for (const storage of open.splice(0)) await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("seals each journal line whole and each archived row as a pair; reads answer the plain text", async () => {
    const storage = await openStorage(dir, keys.content);
    const bob = await withBob(storage);
    await Promise.all(WORDS.map((word, i) => storage.messages.insert([secret(`m${i}`, bob, word)])));

    // In the journal only: no word in any file, and the journal does not read without the key.
    expect(await grep(dir)).toEqual([]);
    expect(() => readMessageJournal(join(dir, JOURNAL_FILE))).toThrow(expect.objectContaining({ code: "CT_CONFIG_INVALID" }));
    const [line] = readMessageJournal(join(dir, JOURNAL_FILE), keys.content).lines;
    expect(line?.sealedUnder).toBe(keys.sealer.currentKeyId());
    expect(line?.plain).toBe(true);
    expect(line?.messages?.map((m) => m.body)).toEqual(WORDS.map((word) => `the ${word} itself`));
    expect((await storage.messages.find("m0"))?.subject).toBe(`about ${WORDS[0]}`);

    // Handed to the archive (a read of history): each row a pair under the current key, opened on the way out.
    const inbox = await storage.messages.listInbox(bob.id, { limit: 10, offset: 0, unreadOnly: false });
    expect(inbox.map((m) => m.body)).toEqual(WORDS.map((word) => `the ${word} itself`));
    const marker = `${SEAL_PREFIX}${keys.sealer.currentKeyId()}:`;
    for (const row of storedRows(dir).values()) {
      expect(row.subject).toBe(marker);
      expect(row.body.startsWith(marker)).toBe(true);
    }
    expect(await grep(dir)).toEqual([]);
    expect((await storage.messages.claim([bob.id], { limit: 10, now: 100, leaseUntil: 1_000 })).map((m) => m.subject)).toEqual(WORDS.map((word) => `about ${word}`));
  });

  it("recovers a crash's journal with the key each line names, sealing its messages under that key", async () => {
    const storage = await openStorage(dir, keys.content);
    const bob = await withBob(storage);
    await storage.messages.insert([secret("m0", bob, WORDS[0] ?? "")]);
    await storage.messages.insert([secret("m1", bob, WORDS[1] ?? "")]);
    const lineKey = keys.sealer.currentKeyId();
    // The files as a crash leaves them (the store is still open: nothing was handed over), in a folder of their own
    // whose key file then moved on to a new current key.
    const crashed = await mkdtemp(join(tmpdir(), "clawtell-sealed-crash-"));
    try {
      await cp(dir, crashed, { recursive: true });
      rotateKeyFile(join(crashed, MASTER_KEY_FILE), Date.now());

      // Without the keys a sealed journal is refused, not skipped: the folder is left as it was.
      await expect(openEmbeddedStorage({ dataDir: crashed })).rejects.toMatchObject({ code: "CT_CONFIG_INVALID" });
      const noKeys = await mkdtemp(join(tmpdir(), "clawtell-no-keys-"));
      try {
        await cp(join(crashed, JOURNAL_FILE), join(noKeys, JOURNAL_FILE));
        await expect(openEmbeddedStorage({ dataDir: noKeys, sealing: folderContentSealing({ dataDir: noKeys }) })).rejects.toMatchObject({
          code: "CT_STATE_CORRUPT",
          message: expect.stringContaining(lineKey),
        });
      } finally {
        await rm(noKeys, { recursive: true, force: true });
      }

      const recovered = await openStorage(crashed, folderContentSealing({ dataDir: crashed }));
      expect((await recovered.messages.listUnacked([bob.id], 10)).map((m) => [m.id, m.body])).toEqual([
        ["m0", `the ${WORDS[0]} itself`],
        ["m1", `the ${WORDS[1]} itself`],
      ]);
      for (const row of storedRows(crashed).values()) expect(row.subject).toBe(`${SEAL_PREFIX}${lineKey}:`);
      expect(await grep(crashed)).toEqual([]);
    } finally {
      await rm(crashed, { recursive: true, force: true });
    }
  });

  it("hands a journal written before the hand-over sealed (rows sealed one by one) to the archive as it is", async () => {
    const bob = await withBob(await openStorage(dir, keys.content));
    await open.splice(0)[0]?.close();
    const sealedRow = keys.sealer.sealPair("old subject", "old body", messageContext("old"));
    const journal = openMessageJournal(join(dir, JOURNAL_FILE));
    journal.write({ messages: [{ ...newMessage("old", bob), ...sealedRow, seq: 1, deliveredAt: null }] });
    await journal.sync();
    journal.close();
    const storage = await openStorage(dir, keys.content);
    expect(storedRows(dir).get("old")).toEqual(sealedRow);
    expect((await storage.messages.find("old"))?.body).toBe("old body");
  });

  it("seals many messages in one chunk and a long one alone; a reference moved into another row does not open", async () => {
    const storage = await openStorage(dir, keys.content);
    const bob = await withBob(storage);
    const count = CHUNK_ROWS + 2;
    await storage.messages.insert(Array.from({ length: count }, (_, i) => secret(`c${String(i).padStart(3, "0")}`, bob, WORDS[i % 3] ?? "")));
    const long = `${WORDS[0]} ${"x".repeat(ALONE_CHARS)}`;
    await storage.messages.insert([{ ...newMessage("long", bob), body: long }]);
    await storage.messages.count(bob.id); // a read of history: the hand-over

    const db = new DatabaseSync(join(dir, "clawtell.db"));
    try {
      const chunks = db.prepare("SELECT id FROM message_chunks").all() as Array<{ id: string }>;
      expect(chunks).toHaveLength(2);
      const members = db.prepare("SELECT chunk_id, COUNT(*) AS n FROM messages GROUP BY chunk_id ORDER BY n").all() as Array<{ chunk_id: string | null; n: number }>;
      expect(members.map((m) => m.n)).toEqual([1, 2, CHUNK_ROWS]);
      expect(members[0]?.chunk_id).toBeNull();
      const longRow = storedRows(dir).get("long");
      expect(chunkReference(longRow?.body ?? "")).toBeUndefined();
      expect(longRow?.body.startsWith(`${SEAL_PREFIX}${keys.sealer.currentKeyId()}:`)).toBe(true);
      const inbox = await storage.messages.listInbox(bob.id, { limit: count + 1, offset: 0, unreadOnly: false });
      expect(inbox.map((m) => m.body)).toEqual([...Array.from({ length: count }, (_, i) => `the ${WORDS[i % 3]} itself`), long]);
      expect(await grep(dir)).toEqual([]);

      // c001's reference copied over c000's: the chunk's entry names c001, so c000 does not open.
      const c001 = storedRows(dir).get("c001");
      db.prepare("UPDATE messages SET body = ? WHERE id = 'c000'").run(c001?.body ?? "");
      await expect(storage.messages.find("c000")).rejects.toMatchObject({ code: "CT_STATE_CORRUPT" });
      expect((await storage.messages.find("c001"))?.body).toBe(`the ${WORDS[1]} itself`);
    } finally {
      db.close();
    }
  });

  it("a chunk goes with its last row: by retention, or by a re-seal giving each row its own pair", async () => {
    const KEY_A = "aa".repeat(32);
    const KEY_B = "bb".repeat(32);
    const first = createSealer(openKeyring({ value: KEY_A }));
    const storage = await openStorage(dir, createContentSealing(first, { sealNew: true }));
    const bob = await withBob(storage);
    await storage.messages.insert(WORDS.map((word, i) => secret(`m${i}`, bob, word)));
    await storage.messages.insert([secret("p0", bob, WORDS[0] ?? ""), secret("p1", bob, WORDS[1] ?? "")]);
    const chunkCount = (): number => {
      const db = new DatabaseSync(join(dir, "clawtell.db"));
      try {
        return Number((db.prepare("SELECT COUNT(*) AS n FROM message_chunks").get() as { n: number }).n);
      } finally {
        db.close();
      }
    };
    expect(await storage.messages.count(bob.id)).toMatchObject({ total: 5 });
    expect(chunkCount()).toBe(1);

    // Retention: p0 and p1 acked long ago go, the chunk stays for m0–m2.
    await storage.messages.ack([bob.id], ["p0", "p1"], 10);
    await storage.messages.purge(11, 0);
    expect(chunkCount()).toBe(1);

    // A rotation: each row re-sealed as its own pair under the new key; the chunk goes with the last of them.
    const second = createSealer(openKeyring({ value: `${KEY_B},${KEY_A}` }));
    const report = await resealAll({ sealedRows: storage.sealedRows, sealer: second, logger: createSilentLogger() });
    expect(report).toMatchObject({ rows: 3, failed: 0 });
    expect(chunkCount()).toBe(0);
    for (const [id, row] of storedRows(dir)) {
      expect(chunkReference(row.body), id).toBeUndefined();
      expect(second.openPair(row.subject, row.body, messageContext(id)).body).toMatch(/^the \w+ itself$/);
    }
    expect(await countSealedUnder({ sealedRows: storage.sealedRows, files: { listWrittenBefore: async () => [], keyIdOf: async () => undefined }, keyId: first.currentKeyId(), currentKeyId: second.currentKeyId() })).toEqual({ rows: 0, files: 0 });
    expect(await grep(dir)).toEqual([]);

    // Retention of rows that still share a chunk: the chunk goes with them.
    await storage.messages.insert([secret("q0", bob, WORDS[2] ?? ""), secret("q1", bob, WORDS[2] ?? "")]);
    await storage.messages.ack([bob.id], ["q0", "q1"], 20);
    expect(await storage.messages.count(bob.id)).toMatchObject({ total: 5 });
    expect(chunkCount()).toBe(1);
    await storage.messages.purge(21, 0);
    expect(chunkCount()).toBe(0);
  });

  it("before a migration copies rows one by one, rows that share a chunk get pairs of their own under the same key", async () => {
    const storage = await openStorage(dir, keys.content);
    const bob = await withBob(storage);
    await storage.messages.insert(WORDS.map((word, i) => secret(`m${i}`, bob, word)));
    await storage.messages.count(bob.id);
    expect([...storedRows(dir).values()].every((row) => chunkReference(row.body) !== undefined)).toBe(true);
    rotateKeyFile(join(dir, MASTER_KEY_FILE), Date.now());
    const sealing = folderContentSealing({ dataDir: dir });

    expect(await spreadChunks({ sealedRows: storage.sealedRows, sealing })).toBe(WORDS.length);
    const marker = `${SEAL_PREFIX}${keys.sealer.currentKeyId()}:`;
    for (const [id, row] of storedRows(dir)) {
      expect(chunkReference(row.body), id).toBeUndefined();
      expect(row.subject, id).toBe(marker);
      expect(sealing.openRow({ id, ...row }, () => undefined).body).toMatch(/^the \w+ itself$/);
    }
    expect(await spreadChunks({ sealedRows: storage.sealedRows, sealing })).toBe(0);
    expect(await grep(dir)).toEqual([]);
  });
});
