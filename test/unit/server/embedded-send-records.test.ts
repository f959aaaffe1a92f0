// The embedded backend's records of sends across a crash: an Idempotency-Key travels in the journal line of its
// message, and the webhook delivery a message calls for is queued when the archive takes the journal over, also at
// the recovery after a crash.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { openEmbeddedStorage, type Storage } from "../../../src/server/index.js";
import { readMessageJournal } from "../../../src/server/store/message-journal.js";
import { JOURNAL_FILE, type IdempotencyRecord, type NameRecord } from "../../../src/server/store/index.js";
import { nameRecord, newMessage } from "../../helpers/store-records.js";

/** Long enough that nothing is handed to the archive unless a test makes it. */
const NO_FLUSH = 600_000;

let dir: string;
let storage: Storage;
let bob: NameRecord;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "clawtell-send-records-"));
  storage = await openEmbeddedStorage({ dataDir: dir, flushIntervalMs: NO_FLUSH });
  await storage.directory.insertAccount({ id: "acc_1", email: "a@example.com", createdAt: 1 });
  bob = await storage.directory.insertName({ ...nameRecord("bob", "acc_1", "pb"), webhookUrl: "https://hooks.example.com/bob" });
});
afterEach(async () => {
  await storage.close();
  await rm(dir, { recursive: true, force: true });
});

const binding: IdempotencyRecord = {
  accountId: "acc_1",
  key: "crash-key",
  fingerprint: "f",
  messageId: "m1",
  statusCode: 200,
  response: '{"messageId":"m1"}',
  createdAt: 10,
};

it("recovers a key and its message from the journal together, with the webhook delivery the message calls for", async () => {
  await storage.messages.insert([{ ...newMessage("m1", bob, 10), idempotency: binding }]);
  // Answered: the line is on disk with the key in it, and the archive has neither yet.
  const [line] = readMessageJournal(join(dir, JOURNAL_FILE)).lines;
  expect(line?.messages?.[0]).toMatchObject({ id: "m1", idempotency: binding });

  // The first store is never closed: the second opens the folder as a restart after SIGKILL would.
  const after = await openEmbeddedStorage({ dataDir: dir, flushIntervalMs: NO_FLUSH });
  try {
    expect(await after.idempotency.find("acc_1", "crash-key", 0)).toEqual(binding);
    expect((await after.messages.find("m1"))?.body).toBe("body m1");
    expect((await after.webhooks.claimDue({ now: 100, limit: 10, leaseUntil: 1_000 })).map((d) => d.id)).toEqual(["rcv_m1"]);
    // The key holds after the restart: a second message under it is not stored.
    await after.messages.insert([{ ...newMessage("m2", bob, 20), idempotency: { ...binding, messageId: "m2", createdAt: 20 } }]);
    expect(await after.messages.find("m2")).toBeUndefined();
  } finally {
    await after.close();
  }
});

it("answers a key from the journal before the archive has it", async () => {
  await storage.messages.insert([{ ...newMessage("m1", bob, 10), idempotency: binding }]);
  expect(await storage.idempotency.find("acc_1", "crash-key", 0)).toEqual(binding);
  expect(await storage.idempotency.find("acc_1", "crash-key", 10)).toBeUndefined();
});
