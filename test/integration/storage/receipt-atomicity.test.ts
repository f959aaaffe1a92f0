// On the embedded backend a recorded receipt state and its message.status delivery are one SQLite transaction: when
// the second write fails (here a trigger refuses it, as a full disk or a crash between the two would), neither is
// stored, and the state recorded again later is stored with its delivery. (On PostgreSQL both are one statement.)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DATABASE_FILE, openEmbeddedStorage, type Storage } from "../../../src/server/store/index.js";
import { nameRecord } from "../../helpers/store-records.js";

describe("embedded receipts: a state and its status delivery are written together", () => {
  let dir: string;
  let storage: Storage;
  let side: DatabaseSync;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-receipt-atomic-"));
    storage = await openEmbeddedStorage({ dataDir: dir });
    await storage.directory.insertAccount({ id: "acc_1", email: "a@example.com", createdAt: 1 });
    await storage.directory.insertAccount({ id: "acc_2", email: "b@example.com", createdAt: 1 });
    const alice = await storage.directory.insertName(nameRecord("alice", "acc_1", "pa"));
    await storage.directory.insertName(nameRecord("bob", "acc_2", "pb"));
    await storage.directory.updateNameSettings(alice.id, { webhookUrl: "https://hooks.example.com/alice" });
    await storage.webhooks.setEvents(alice.id, ["message.status"]);
    side = new DatabaseSync(join(dir, DATABASE_FILE));
    side.exec("PRAGMA busy_timeout = 5000");
  });
  afterEach(async () => {
    side.close();
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  const entry = { messageId: "m9", sender: "alice", recipient: "bob", state: "pending_approval" as const, at: 5 };

  it("stores neither when the delivery cannot be written, and both when it can", async () => {
    side.exec(`CREATE TRIGGER refuse_deliveries BEFORE INSERT ON webhook_deliveries BEGIN SELECT RAISE(ABORT, 'no room'); END`);
    await expect(storage.receipts.record(entry)).rejects.toThrow(/no room/);
    expect(await storage.receipts.find("m9")).toBeUndefined();
    expect(side.prepare("SELECT COUNT(*) AS n FROM message_receipts").get()?.["n"]).toBe(0);

    side.exec("DROP TRIGGER refuse_deliveries");
    await storage.receipts.record(entry);
    expect((await storage.receipts.find("m9"))?.at).toEqual({ pending_approval: 5 });
    expect((await storage.webhooks.claimDue({ now: 100, limit: 10, leaseUntil: 1_000 })).map((d) => [d.id, d.state])).toEqual([
      ["sts_pending_approval_m9", "pending_approval"],
    ]);
  });
});
