// Monthly message quotas over real HTTP: a send past the account's quota is a 403 CT_QUOTA_EXCEEDED saying when it
// resets (Retry-After and retry_after: the seconds until the next month, UTC); the count starts again at the month
// boundary (injected clock), holds across a restart, counts held sends, not refused ones; an account's own quota
// (set by the operator) wins over the server's.
import { afterEach, describe, expect, it } from "vitest";
import { createManualClock } from "../../../src/infra/index.js";
import { setAccountQuota, showAccountQuota, type CreatedName } from "../../../src/server/index.js";
import { ACCOUNT_QUOTA_TTL_MS } from "../../../src/server/quota.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

const send = (server: TestServer, key: string, body: Record<string, unknown>) => api(server, "POST", "/api/messages/send", { key, body });

describe("monthly message quota", () => {
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;
  let carol: CreatedName;
  afterEach(async () => server.close());

  const start = async (monthlyQuota: number | undefined, at: number) => {
    const clock = createManualClock(at);
    server = await startTestServer({ clock, ...(monthlyQuota === undefined ? {} : { monthlyQuota }) });
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
    carol = await server.createName("carol", "carol@example.com");
    return clock;
  };

  it("refuses the send past the quota with 403 CT_QUOTA_EXCEEDED until the month ends, then counts again", async () => {
    const clock = await start(2, Date.UTC(2026, 0, 31, 23, 59, 0));
    expect((await send(server, alice.apiKey, { to: "bob", body: "1" })).status).toBe(200);
    expect((await send(server, alice.apiKey, { to: "bob", body: "2" })).status).toBe(200);
    const refused = await send(server, alice.apiKey, { to: "bob", body: "3" });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("retry-after")).toBe("60");
    expect(refused.body).toEqual({
      statusCode: 403,
      code: "CT_QUOTA_EXCEEDED",
      error: "Monthly message quota of 2 reached for 2026-01; it resets at 2026-02-01T00:00:00.000Z",
      retry_after: 60,
    });
    // Another account has its own count; the refused send was not stored.
    expect((await send(server, carol.apiKey, { to: "bob", body: "carol's" })).status).toBe(200);
    const inbox = await api(server, "GET", "/api/messages/inbox", { key: bob.apiKey });
    expect((inbox.body["messages"] as Array<{ body: string }>).map((m) => m.body)).toEqual(["1", "2", "carol's"]);

    await clock.advance(59_999);
    expect((await send(server, alice.apiKey, { to: "bob", body: "still January" })).headers.get("retry-after")).toBe("1");
    await clock.advance(1);
    expect((await send(server, alice.apiKey, { to: "bob", body: "February" })).status).toBe(200);
    expect((await showAccountQuota(server.storage, alice.accountId, { clock })).used).toBe(1);
  });

  it("counts held sends, not refused ones, and keeps the count across a restart", async () => {
    await start(2, Date.UTC(2026, 4, 15));
    await api(server, "PATCH", "/api/names/bob", { key: bob.apiKey, body: { delivery_policy: "approval_required" } });
    expect((await send(server, alice.apiKey, { to: "nobody", body: "404" })).status).toBe(404);
    await api(server, "POST", "/api/delivery/blocklist", { key: carol.apiKey, body: { name: "alice" } });
    await api(server, "PATCH", "/api/names/carol", { key: carol.apiKey, body: { delivery_policy: "everyone_except_blocklist" } });
    expect((await send(server, alice.apiKey, { to: "carol", body: "403" })).status).toBe(403);
    expect((await send(server, alice.apiKey, { to: "bob", body: "x".repeat(50_001) })).status).toBe(413);
    expect((await send(server, alice.apiKey, { to: "bob", body: "held" })).status).toBe(202);
    await server.restart();
    expect((await send(server, alice.apiKey, { to: "bob", body: "held too" })).status).toBe(202);
    expect((await send(server, alice.apiKey, { to: "bob", body: "over" })).body["code"]).toBe("CT_QUOTA_EXCEEDED");
  });

  it("applies an account's own quota over the server's, within a few seconds of the operator's change", async () => {
    const clock = await start(undefined, Date.UTC(2026, 6, 1));
    // No quota anywhere: nothing counted, nothing refused.
    for (let i = 0; i < 3; i++) expect((await send(server, alice.apiKey, { to: "bob", body: `free ${i}` })).status).toBe(200);
    const report = await setAccountQuota(server.storage, "ALICE@example.com", "1", { clock });
    expect(report).toEqual({
      accountId: alice.accountId,
      email: "alice@example.com",
      quota: 1,
      month: "2026-07",
      used: 0,
      resetsAt: "2026-08-01T00:00:00.000Z",
    });
    await clock.advance(ACCOUNT_QUOTA_TTL_MS);
    expect((await send(server, alice.apiKey, { to: "bob", body: "counted" })).status).toBe(200);
    expect((await send(server, alice.apiKey, { to: "bob", body: "refused" })).status).toBe(403);
    expect((await send(server, carol.apiKey, { to: "bob", body: "other account" })).status).toBe(200);
    await setAccountQuota(server.storage, alice.accountId, "unlimited", { clock });
    await clock.advance(ACCOUNT_QUOTA_TTL_MS);
    expect((await send(server, alice.apiKey, { to: "bob", body: "unlimited" })).status).toBe(200);
    await expect(setAccountQuota(server.storage, alice.accountId, "0", { clock })).rejects.toMatchObject({ code: "CT_BAD_REQUEST", field: "quota" });
    await expect(setAccountQuota(server.storage, "nobody@example.com", "5", { clock })).rejects.toMatchObject({ code: "CT_NOT_FOUND", field: "account" });
    const audit = await server.storage.directory.listAudit({ limit: 5 });
    expect(audit.filter((e) => e.action === "quota.changed").map((e) => e.detail)).toEqual([
      `account ${alice.accountId} monthly quota unlimited`,
      `account ${alice.accountId} monthly quota 1`,
    ]);
  });

  it("never lets concurrent sends past the quota", async () => {
    await start(5, Date.UTC(2026, 8, 9));
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => send(server, alice.apiKey, { to: "bob", body: `race ${i}` })));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(5);
    expect(answers.filter((a) => a.status === 403)).toHaveLength(7);
  });
});
