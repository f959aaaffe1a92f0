// The embedded message store keeps unacked messages whole in memory after the archive has taken them over, oldest
// first and within its budget, so a claim reads the archive only for the rest. Seen from outside: a row changed in
// the archive behind the store's back shows only for the messages not kept.
import { mkdtemp, rm } from "node:fs/promises";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DATABASE_FILE, JOURNAL_FILE, openSqliteArchive, type SqliteArchive } from "../../../src/server/index.js";
import { openEmbeddedMessages, type EmbeddedMessageStore } from "../../../src/server/store/embedded-messages.js";
import { nameRecord, newMessage } from "../../helpers/store-records.js";

describe("messages kept in memory after the hand-over", () => {
  let dir: string;
  let archive: SqliteArchive;
  let store: EmbeddedMessageStore | undefined;
  let bob: { id: number; name: string };
  /** "Message" + "body mN" + the fixed overhead: two such messages fit, a third does not. */
  const ONE = "Message".length + "body m1".length + 256;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-resident-"));
    archive = openSqliteArchive({ dataDir: dir });
    archive.insertAccount({ id: "acc_1", email: "a@example.com", createdAt: 1 });
    bob = archive.insertName(nameRecord("bob", "acc_1", "p1"));
  });
  afterEach(async () => {
    await store?.close();
    archive.close();
    await rm(dir, { recursive: true, force: true });
  });

  const open = (residentChars: number): EmbeddedMessageStore =>
    (store = openEmbeddedMessages({ archive, journalPath: join(dir, JOURNAL_FILE), flushIntervalMs: 600_000, residentChars }));
  /** Changes the archived bodies through a connection of its own: only a message read from the archive shows it. */
  const rewriteArchivedBodies = (): void => {
    const db = new DatabaseSync(join(dir, DATABASE_FILE));
    db.exec("UPDATE messages SET body = 'from the archive'");
    db.close();
  };
  const bodies = async (messages: EmbeddedMessageStore): Promise<string[]> =>
    (await messages.listUnacked([bob.id], 10)).map((m) => m.body);

  it("keeps the oldest unacked messages whole within the budget, and reads the rest from the archive", async () => {
    const messages = open(2 * ONE);
    await messages.insert(["m1", "m2", "m3"].map((id) => newMessage(id, bob)));
    // A history read hands everything to the archive first.
    expect(await messages.count(bob.id)).toMatchObject({ total: 3 });
    rewriteArchivedBodies();
    expect(await bodies(messages)).toEqual(["body m1", "body m2", "from the archive"]);
  });

  it("gives an acked message's share of the budget back to the next hand-over", async () => {
    const messages = open(2 * ONE);
    await messages.insert(["m1", "m2"].map((id) => newMessage(id, bob)));
    await messages.count(bob.id);
    await messages.ack([bob.id], ["m1"], 50);
    await messages.insert(["m3", "m4"].map((id) => newMessage(id, bob)));
    await messages.count(bob.id);
    rewriteArchivedBodies();
    expect(await bodies(messages)).toEqual(["body m2", "body m3", "from the archive"]);
  });

  it("answers a message marked read from the archive, with its read mark", async () => {
    const messages = open(10 * ONE);
    await messages.insert([newMessage("m1", bob)]);
    expect(await messages.markRead(bob.id, "m1", 70)).toBe(true);
    expect(await messages.listUnacked([bob.id], 10)).toEqual([expect.objectContaining({ id: "m1", readAt: 70 })]);
  });

  it("keeps nothing with a budget of zero", async () => {
    const messages = open(0);
    await messages.insert(["m1", "m2"].map((id) => newMessage(id, bob)));
    await messages.count(bob.id);
    rewriteArchivedBodies();
    expect(await bodies(messages)).toEqual(["from the archive", "from the archive"]);
  });
});
