// The approval and quota ports, the same cases against each backend of STORAGE_BACKENDS: a held message round trip,
// pending messages counted past a page of the list, one decision wins, expiry, claims of decided records (also by a
// second process on PostgreSQL), purge, and quota counts that never pass their limit.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NameRecord, NewHeldMessage, Storage } from "../../../src/server/store/index.js";
import { STORAGE_BACKENDS, type OpenedStorage } from "../../helpers/storage-backends.js";
import { nameRecord, newMessage } from "../../helpers/store-records.js";

const unavailable = new Map<string, string | undefined>();
for (const backend of STORAGE_BACKENDS) {
  const reason = await backend.unavailable();
  unavailable.set(backend.name, reason);
  if (reason !== undefined) process.stderr.write(`approval storage contract: skipping ${backend.name}: ${reason}\n`);
}

describe.each(STORAGE_BACKENDS.map((backend) => ({ backend, name: backend.name })))("approval and quota storage: $name", ({ backend }) => {
  let opened: OpenedStorage;
  let storage: Storage;
  let bob: NameRecord;
  let eve: NameRecord;

  const held = (n: number, to: NameRecord = bob, createdAt = 10 + n, expiresAt = 1_000): NewHeldMessage => ({
    approvalId: `apr_${n}`,
    message: { ...newMessage(`msg_${n}`, to, createdAt), body: `held \u0000 ${n}` },
    senderId: 99,
    noticeId: `notice_${n}`,
    expiresAt,
  });

  beforeEach(async (context) => {
    if (unavailable.get(backend.name) !== undefined) {
      context.skip();
      return;
    }
    opened = await backend.open();
    storage = opened.storage;
    await storage.directory.insertAccount({ id: "acc_1", email: "team@example.com", createdAt: 1 });
    bob = await storage.directory.insertName(nameRecord("bob", "acc_1", "pbob"));
    eve = await storage.directory.insertName(nameRecord("eve", "acc_1", "peve"));
  });
  afterEach(async () => {
    await opened?.dispose();
  });

  it("keeps a held message whole, with its attachments, and lists the pending ones of given recipients, oldest first", async () => {
    const attachments = [{ fileId: "f1", filename: "a.txt", mimeType: "text/plain", size: 3 }];
    const first = { ...held(1), message: { ...held(1).message, attachments } };
    await storage.approvals.hold(held(2));
    await storage.approvals.hold(first);
    await storage.approvals.hold(held(3, eve));
    expect(await storage.approvals.find("apr_1")).toEqual({ ...first, state: "pending", decidedAt: null, decidedBy: null, reason: null, appliedAt: null });
    expect(await storage.approvals.find("apr_none")).toBeUndefined();
    expect((await storage.approvals.listPending([bob.id], 100, 10)).map((r) => r.approvalId)).toEqual(["apr_1", "apr_2"]);
    expect((await storage.approvals.listPending(undefined, 100, 2)).map((r) => r.approvalId)).toEqual(["apr_1", "apr_2"]);
    expect(await storage.approvals.listPending([], 100, 10)).toEqual([]);
    // Not listed once expired.
    expect(await storage.approvals.listPending([bob.id, eve.id], 1_000, 10)).toEqual([]);
    expect(await storage.approvals.holdsFile("f1")).toBe(true);
    expect(await storage.approvals.holdsFile("f2")).toBe(false);
  });

  it("lets one decision win, and none once expired", async () => {
    await storage.approvals.hold(held(1));
    await storage.approvals.hold(held(2));
    const [a, b] = await Promise.all([
      storage.approvals.decide("apr_1", { state: "approved", at: 100, by: "bob" }),
      storage.approvals.decide("apr_1", { state: "rejected", at: 100, by: "admin", reason: "no" }),
    ]);
    const winners = [a, b].filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    expect(await storage.approvals.find("apr_1")).toMatchObject({ state: winners[0]?.state, decidedAt: 100, decidedBy: winners[0]?.decidedBy });
    expect(await storage.approvals.decide("apr_2", { state: "approved", at: 1_000, by: "bob" })).toBeUndefined();
    expect((await storage.approvals.find("apr_2"))?.state).toBe("pending");
  });

  it("counts every pending message of given recipients, past any page of the list", async () => {
    for (let n = 1; n <= 130; n++) await storage.approvals.hold(held(n, n <= 120 ? bob : eve, 10 + n, n === 1 ? 500 : 1_000));
    await storage.approvals.decide("apr_2", { state: "approved", at: 100, by: "bob" });
    // apr_1 has expired at 600 and apr_2 is decided: neither waits any more.
    expect(await storage.approvals.listPending([bob.id], 600, 100)).toHaveLength(100);
    expect(await storage.approvals.countPending([bob.id], 600)).toBe(118);
    expect(await storage.approvals.countPending([eve.id], 600)).toBe(10);
    expect(await storage.approvals.countPending([bob.id, eve.id], 600)).toBe(128);
    expect(await storage.approvals.countPending(undefined, 600)).toBe(128);
    expect(await storage.approvals.countPending(undefined, 400)).toBe(129);
    expect(await storage.approvals.countPending([], 600)).toBe(0);
    expect(await storage.approvals.countPending([bob.id], 1_000)).toBe(0);
  });

  it("expires what is due once, and hands each decided record to one claim until its retry time", async () => {
    await storage.approvals.hold(held(1, bob, 11, 500));
    await storage.approvals.hold(held(2, bob, 12, 900));
    await storage.approvals.hold(held(3));
    expect((await storage.approvals.expire(600, 10)).map((r) => [r.approvalId, r.state, r.decidedBy])).toEqual([["apr_1", "expired", "server"]]);
    expect(await storage.approvals.expire(600, 10)).toEqual([]);
    await storage.approvals.decide("apr_3", { state: "rejected", at: 700, by: "bob", reason: "because" });

    const claimed = await storage.approvals.claimDecided(700, 800, 10);
    expect(claimed.map((r) => r.approvalId)).toEqual(["apr_1", "apr_3"]);
    expect(claimed[1]?.reason).toBe("because");
    expect(await storage.approvals.claimDecided(799, 900, 10)).toEqual([]);
    await storage.approvals.markApplied("apr_1", 750);
    expect((await storage.approvals.claimDecided(800, 900, 10)).map((r) => r.approvalId)).toEqual(["apr_3"]);
    expect((await storage.approvals.find("apr_1"))?.appliedAt).toBe(750);

    // Applied records go after their retention; pending and unapplied ones stay.
    expect(await storage.approvals.purge(601)).toBe(1);
    expect(await storage.approvals.find("apr_1")).toBeUndefined();
    expect((await storage.approvals.find("apr_3"))?.state).toBe("rejected");
    expect((await storage.approvals.find("apr_2"))?.state).toBe("pending");
  });

  it("never hands one decided record to two processes' claims at once", async (context) => {
    if (opened.openPeer === undefined) return context.skip();
    for (let n = 1; n <= 20; n++) {
      await storage.approvals.hold(held(n));
      await storage.approvals.decide(`apr_${n}`, { state: "approved", at: 100, by: "bob" });
    }
    const peer = await opened.openPeer();
    const claims = await Promise.all([storage, peer, storage, peer].map((s) => s.approvals.claimDecided(100, 10_000, 7)));
    const all = claims.flat().map((r) => r.approvalId);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBeLessThanOrEqual(20);
    expect(all.length + (await storage.approvals.claimDecided(100, 10_000, 100)).length).toBe(20);
  });

  it("counts a quota up to its limit, however many take at once, per account and month; gives back; keeps account quotas", async () => {
    const takes = await Promise.all(Array.from({ length: 20 }, () => storage.quotas.take("acc_1", "2026-03", 7)));
    expect(takes.filter((t) => t.taken)).toHaveLength(7);
    expect(takes.filter((t) => !t.taken).every((t) => t.used === 7)).toBe(true);
    expect(await storage.quotas.used("acc_1", "2026-03")).toBe(7);
    expect(await storage.quotas.take("acc_1", "2026-04", 7)).toEqual({ taken: true, used: 1 });
    expect(await storage.quotas.take("acc_2", "2026-03", 7)).toEqual({ taken: true, used: 1 });
    expect(await storage.quotas.take("acc_2", "2026-03", 0)).toEqual({ taken: false, used: 1 });
    await storage.quotas.giveBack("acc_1", "2026-03");
    expect(await storage.quotas.take("acc_1", "2026-03", 7)).toEqual({ taken: true, used: 7 });

    expect(await storage.quotas.accountQuota("acc_1")).toBeUndefined();
    await storage.quotas.setAccountQuota("acc_1", 250);
    expect(await storage.quotas.accountQuota("acc_1")).toBe(250);
    await storage.quotas.setAccountQuota("acc_1", null);
    expect(await storage.quotas.accountQuota("acc_1")).toBeNull();
    await storage.quotas.setAccountQuota("acc_2", 3);
    expect(await storage.quotas.listAccountQuotas()).toEqual(new Map([["acc_1", null], ["acc_2", 3]]));
    await storage.quotas.setAccountQuota("acc_1", undefined);
    expect(await storage.quotas.accountQuota("acc_1")).toBeUndefined();
    expect(await storage.quotas.listAccountQuotas()).toEqual(new Map([["acc_2", 3]]));
  });
});
