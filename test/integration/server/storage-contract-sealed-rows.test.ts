// The sealed-rows port (re-sealing after a master-key rotation), the same cases against each backend of
// STORAGE_BACKENDS: a scan pages through the rows not yet under the kept prefix, messages still in the embedded
// journal included, and a write-back happens only over what was read (compare and set).
import { beforeEach, describe, expect, it } from "vitest";
import { createSilentLogger } from "../../../src/infra/index.js";
import { PLAIN_PREFIX, SEAL_PREFIX, createSealer, messageContext, openKeyring, resealOnce, sealStorage } from "../../../src/server/crypto/index.js";
import type { NameRecord, SealedRow, Storage } from "../../../src/server/store/index.js";
import { STORAGE_BACKENDS } from "../../helpers/storage-backends.js";
import { storagePerTest } from "../../helpers/storage-per-test.js";
import { nameRecord, newMessage } from "../../helpers/store-records.js";

const unavailable = new Map<string, string | undefined>();
for (const backend of STORAGE_BACKENDS) {
  const reason = await backend.unavailable();
  unavailable.set(backend.name, reason);
  if (reason !== undefined) process.stderr.write(`sealed-rows storage contract: skipping ${backend.name}: ${reason}\n`);
}

const OLD = "ctseal1:kold:";
const NEW = "ctseal1:knew:";

describe.each(STORAGE_BACKENDS.map((backend) => ({ backend, name: backend.name })))("sealed-rows storage: $name", ({ backend }) => {
  let storage: Storage;
  let bob: NameRecord;

  const perTest = storagePerTest(backend, unavailable.get(backend.name));

  beforeEach(async () => {
    storage = perTest.storage();
    await storage.directory.insertAccount({ id: "acc_1", email: "team@example.com", createdAt: 1 });
    bob = await storage.directory.insertName(nameRecord("bob", "acc_1", "pbob"));
  });

  const scanAll = async (table: "messages" | "approvals", keep: string, limit: number): Promise<SealedRow[]> => {
    const rows: SealedRow[] = [];
    let after: string | undefined;
    do {
      const page = await storage.sealedRows.scan(table, after, limit, keep);
      expect(page.rows.length).toBeLessThanOrEqual(limit);
      rows.push(...page.rows);
      after = page.next;
    } while (after !== undefined);
    return rows;
  };

  it("pages through the messages whose subject or body is not under the kept prefix, in a stable order", async () => {
    // 7 messages: 2 wholly under the new key, 5 with a field under the old one (or plain); sent just now, so the
    // embedded backend still holds them in its journal.
    const fields: Array<[string, string]> = [
      [`${NEW}a`, `${NEW}b`],
      [`${OLD}c`, `${OLD}d`],
      [`${NEW}e`, `${OLD}f`],
      ["plain subject", "plain body"],
      [`${NEW}g`, `${NEW}h`],
      [`${OLD}i`, `${NEW}j`],
      [`${OLD}k`, `${OLD}l`],
    ];
    await storage.messages.insert(fields.map(([subject, body], i) => ({ ...newMessage(`m${i}`, bob, 10 + i), subject, body })));
    for (const limit of [1, 2, 100]) {
      const rows = await scanAll("messages", NEW, limit);
      expect(rows.map((r) => r.id)).toEqual(["m1", "m2", "m3", "m5", "m6"]);
      expect(rows[1]).toEqual({ id: "m2", subject: `${NEW}e`, body: `${OLD}f` });
    }
  });

  it("a re-seal turns rows sealed field by field, plain rows and pairs under an old key into pairs under the current key", async () => {
    const KEY_A = "11".repeat(32);
    const KEY_B = "22".repeat(32);
    const old = createSealer(openKeyring({ value: KEY_A }));
    const pair = old.sealPair("s3", "b3", messageContext("m3"));
    await storage.messages.insert([
      { ...newMessage("m1", bob, 10), subject: old.seal("s1", "message:m1:subject"), body: old.seal("b1", "message:m1:body") },
      { ...newMessage("m2", bob, 11), subject: "s2", body: "b2" },
      { ...newMessage("m3", bob, 12), ...pair },
    ]);
    const sealer = createSealer(openKeyring({ value: `${KEY_B},${KEY_A}` }));
    const report = await resealOnce({ sealedRows: storage.sealedRows, sealer, logger: createSilentLogger() });
    expect(report).toMatchObject({ rows: 3, failed: 0 });
    const marker = `${SEAL_PREFIX}${sealer.currentKeyId()}:`;
    for (const [id, subject, body] of [["m1", "s1", "b1"], ["m2", "s2", "b2"], ["m3", "s3", "b3"]] as const) {
      const stored = await storage.messages.find(id);
      expect(stored?.subject, id).toBe(marker);
      expect(stored?.body.startsWith(marker), id).toBe(true);
      expect(sealer.openPair(stored?.subject ?? "", stored?.body ?? "", messageContext(id))).toEqual({ subject, body });
    }
    expect(await scanAll("messages", marker, 10)).toEqual([]);
  });

  it("with new content stored plain, any plain text round-trips, even one that begins with a prefix of ours", async () => {
    const KEY = "33".repeat(32);
    const sealed = createSealer(openKeyring({ value: KEY }));
    // `--no-encryption` with the key at hand: content sealed before still opens.
    const plain = sealStorage(storage, createSealer(openKeyring({ value: KEY }), { sealNew: false }));
    const marker = `${SEAL_PREFIX}${sealed.currentKeyId()}:`;
    const cases: Array<[string, string]> = [
      [marker, "a body"], // a subject that reads as the marker of a pair
      [`${SEAL_PREFIX}nokey:`, `${SEAL_PREFIX}nokey:abc`],
      [`${SEAL_PREFIX}`, `${SEAL_PREFIX}${sealed.currentKeyId()}:${"A".repeat(40)}`],
      [`${PLAIN_PREFIX}x`, `${PLAIN_PREFIX}${SEAL_PREFIX}y`],
      ["ordinary", "ctseal1 without its colon"],
    ];
    await plain.messages.insert(cases.map(([subject, body], i) => ({ ...newMessage(`p${i}`, bob, 10 + i), subject, body })));
    const before = sealed.sealPair("old subject", "old body", messageContext("s1"));
    await storage.messages.insert([{ ...newMessage("s1", bob, 30), ...before }]);
    for (const [i, [subject, body]] of cases.entries()) {
      const read = await plain.messages.find(`p${i}`);
      expect([read?.subject, read?.body], `p${i}`).toEqual([subject, body]);
      // Stored escaped exactly when the text begins with a prefix of ours; plain text otherwise, as before.
      const raw = await storage.messages.find(`p${i}`);
      const escaped = (text: string): string => (text.startsWith(SEAL_PREFIX) || text.startsWith(PLAIN_PREFIX) ? `${PLAIN_PREFIX}${text}` : text);
      expect([raw?.subject, raw?.body], `p${i}`).toEqual([escaped(subject), escaped(body)]);
    }
    expect((await plain.messages.find("s1"))?.body).toBe("old body");
    const inbox = await plain.messages.listInbox(bob.id, { limit: 10, offset: 0, unreadOnly: false });
    expect(inbox.map((m) => m.subject).slice(0, cases.length)).toEqual(expect.arrayContaining(cases.map(([subject]) => subject)));
    const sent = await plain.receipts.listSent("alice", 10);
    expect(sent.map((r) => r.subject)).toEqual(expect.arrayContaining([...cases.map(([subject]) => subject), "old subject"]));
  });

  it("writes back only over what was read; an approval row likewise", async () => {
    await storage.messages.insert([{ ...newMessage("m1", bob, 10), subject: `${OLD}s`, body: `${OLD}b` }]);
    const [row] = await scanAll("messages", NEW, 10);
    if (row === undefined) throw new Error("no row");
    expect(await storage.sealedRows.replace("messages", row, { subject: `${NEW}s`, body: `${NEW}b` })).toBe(true);
    // A second write-back from the same read (another process's pass) finds the row changed and does nothing.
    expect(await storage.sealedRows.replace("messages", row, { subject: `${NEW}x`, body: `${NEW}y` })).toBe(false);
    expect(await scanAll("messages", NEW, 10)).toEqual([]);
    const stored = await storage.messages.find("m1");
    expect([stored?.subject, stored?.body]).toEqual([`${NEW}s`, `${NEW}b`]);
    // A row that is gone is not brought back.
    expect(await storage.sealedRows.replace("messages", { id: "nope", subject: "a", body: "b" }, { subject: "c", body: "d" })).toBe(false);

    await storage.approvals.hold({
      approvalId: "apr_1",
      message: { ...newMessage("held_1", bob, 20), subject: `${OLD}hs`, body: `${OLD}hb` },
      senderId: 99,
      noticeId: "notice_1",
      expiresAt: 1_000,
    });
    const [held] = await scanAll("approvals", NEW, 10);
    expect(held).toEqual({ id: "apr_1", subject: `${OLD}hs`, body: `${OLD}hb` });
    expect(await storage.sealedRows.replace("approvals", held as SealedRow, { subject: `${NEW}hs`, body: `${NEW}hb` })).toBe(true);
    expect((await storage.approvals.find("apr_1"))?.message.body).toBe(`${NEW}hb`);
    expect(await scanAll("approvals", NEW, 10)).toEqual([]);
  });
});
