// The embedded message store sealing its own content (encryption at rest): each journal line sealed whole, each
// message sealed for the archive at the hand-over (ahead of it in a worker thread where it can), a crash's journal
// recovered with the key its lines name, and nothing of the content readable in any file on the way.
import { readFileSync, readdirSync } from "node:fs";
import { cp, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SEAL_WORKER_NICER } from "../../../src/server/crypto/gcm.js";
import { MASTER_KEY_FILE, SEAL_PREFIX, createSealer, folderContentSealing, messageContext, openAtRestKeys, openKeyring, rotateKeyFile, type AtRestKeys } from "../../../src/server/crypto/index.js";
import { systemClock } from "../../../src/infra/index.js";
import { JOURNAL_FILE, openEmbeddedStorage, type Storage } from "../../../src/server/index.js";
import { openMessageJournal, readMessageJournal } from "../../../src/server/store/message-journal.js";
import type { ContentPair, ContentSealing, NewMessage, RowContent } from "../../../src/server/store/index.js";
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
  const openStorage = async (dataDir: string, sealing: ContentSealing, more: { sealAheadMin?: number } = {}): Promise<Storage> => {
    const storage = await openEmbeddedStorage({ dataDir, flushIntervalMs: NO_FLUSH, sealing, ...more });
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
    await keys.content.stop();
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

  it("seals rows ahead in a worker thread and the hand-over takes those forms; when that fails it seals them itself", async () => {
    const made = new Map<string, string>();
    const sent: Array<Promise<unknown>> = [];
    let fail = false;
    const sealRowsAhead = keys.content.sealRowsAhead;
    expect(sealRowsAhead).toBeDefined();
    const observed: ContentSealing = {
      ...keys.content,
      sealRowsAhead: (rows: readonly RowContent[]) => {
        const forms = fail ? Promise.reject(new Error("the sealing thread is gone")) : (sealRowsAhead?.(rows) ?? Promise.resolve([]));
        sent.push(forms.then((f) => rows.forEach((row, i) => made.set(row.id, f[i]?.body ?? "")), () => undefined));
        return forms;
      },
    };
    const storage = await openStorage(dir, observed, { sealAheadMin: 1 });
    const bob = await withBob(storage);
    for (let i = 0; i < 6; i++) await storage.messages.insert([secret(`a${i}`, bob, WORDS[i % 3] ?? "")]);
    // Every one is sent (those applied while a batch is out go when it is back); wait until all six are back.
    while (made.size < 6) await Promise.all(sent);
    fail = true;
    for (let i = 0; i < 4; i++) await storage.messages.insert([secret(`f${i}`, bob, WORDS[i % 3] ?? "")]);
    await Promise.all(sent);
    expect([...made.keys()].sort()).toEqual(["a0", "a1", "a2", "a3", "a4", "a5"]);

    await storage.messages.count(bob.id); // a read of history: the hand-over
    const rows = storedRows(dir);
    for (const [id, body] of made) expect(rows.get(id)?.body).toBe(body);
    const sealer = createSealer(openKeyring({ file: join(dir, MASTER_KEY_FILE), clock: systemClock, create: false }));
    for (const [id, row] of rows) expect(sealer.openPair(row.subject, row.body, messageContext(id)).body).toMatch(/^the \w+ itself$/);
    expect(rows.size).toBe(10);
    expect(await grep(dir)).toEqual([]);
  });

  it.skipIf(process.platform !== "linux")("the sealing thread runs at a lower priority than the event loop", async () => {
    const niceOf = (tid: string): number => Number(readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1]?.split(" ")[16]);
    const before = new Set(readdirSync("/proc/self/task"));
    const forms = await keys.content.sealRowsAhead?.([{ id: "m1", subject: "s", body: "b" }]);
    expect(keys.sealer.openPair(forms?.[0]?.subject ?? "", forms?.[0]?.body ?? "", messageContext("m1"))).toEqual({ subject: "s", body: "b" });
    const started = readdirSync("/proc/self/task").filter((tid) => !before.has(tid));
    const own = niceOf(String(process.pid));
    expect(started.map(niceOf)).toContain(Math.min(19, own + SEAL_WORKER_NICER));
  });
});
