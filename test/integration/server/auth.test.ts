// Every call that needs a key answers 401 with the official clients' error body when the key is missing, malformed,
// unknown, or has a known prefix with the wrong secret, and changes nothing on the way; many wrong secrets from one
// address are answered 429 without holding up the owner.
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_KEY_FAILURES_PER_MINUTE } from "../../../src/server/api-keys.js";
import type { CreatedName } from "../../../src/server/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

/** Each authenticated endpoint with a body it would accept from a valid key. */
const ENDPOINTS: ReadonlyArray<{ readonly method: string; readonly path: string; readonly body?: unknown }> = [
  { method: "POST", path: "/api/messages/send", body: { to: "alice", body: "hi" } },
  { method: "GET", path: "/api/messages/poll?timeout=0" },
  { method: "GET", path: "/api/messages/poll-account?timeout=0" },
  { method: "POST", path: "/api/messages/ack", body: { messageIds: ["m"] } },
  { method: "POST", path: "/v1/ack", body: { messageIds: ["m"] } },
  { method: "GET", path: "/api/messages/inbox" },
  { method: "POST", path: "/api/messages/m/read" },
  { method: "GET", path: "/v1/stream?timeout=1" },
  { method: "GET", path: "/api/me" },
  { method: "PATCH", path: "/api/names/alice", body: { communication_mode: "anyone" } },
  { method: "GET", path: "/api/allowlist" },
  { method: "POST", path: "/api/allowlist", body: { name: "carol" } },
  { method: "DELETE", path: "/api/allowlist/carol" },
  { method: "GET", path: "/api/delivery/blocklist" },
  { method: "POST", path: "/api/delivery/blocklist", body: { name: "carol" } },
  { method: "DELETE", path: "/api/delivery/blocklist/carol" },
  { method: "GET", path: "/api/delivery/allowlist" },
  { method: "POST", path: "/api/delivery/allowlist", body: { name: "carol" } },
  { method: "DELETE", path: "/api/delivery/allowlist/carol" },
  { method: "GET", path: "/api/files/f" },
  { method: "GET", path: "/api/updates" },
  { method: "POST", path: "/api/updates", body: { sdk: "javascript", sdkVersion: "2026.6.0", notifyOnUpdates: true } },
  { method: "GET", path: "/api/renew" },
  { method: "POST", path: "/api/renew", body: {} },
];

describe("authentication on every call that needs a key", () => {
  let server: TestServer;
  let alice: CreatedName;

  beforeAll(async () => {
    server = await startTestServer();
    alice = await server.createName("alice", "alice@example.com");
  });
  afterAll(async () => server.close());

  it("lets the right key through on every call of the table (so the 401s below are about the key alone)", async () => {
    for (const { method, path, body } of ENDPOINTS) {
      if (path.startsWith("/v1/stream")) continue; // a stream answers 200 and stays open; stream.test.ts reads it
      const res = await api(server, method, path, { key: alice.apiKey, ...(body === undefined ? {} : { body }) });
      expect(res.status, `${method} ${path}`).not.toBe(401);
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
    }
  });

  it.each(ENDPOINTS)("$method $path answers 401 for a missing, malformed, unknown or wrong key, and changes nothing", async ({ method, path, body }) => {
    // A name of its own per call, so the wrong secrets of one call do not add up to the throttle of another.
    const victim = await server.createName(`victim-${ENDPOINTS.findIndex((e) => e.method === method && e.path === path)}`, "victim@example.com");
    const prefix = victim.apiKey.split("_")[1] ?? "";
    const badKeys: Record<string, string | undefined> = {
      missing: undefined,
      malformed: "not-a-key",
      unknown: "claw_000000000000_abcdefghijklmnopqrstuvwxyz012345",
      "known prefix, wrong secret": `claw_${prefix}_abcdefghijklmnopqrstuvwxyz012345`,
    };
    for (const [kind, key] of Object.entries(badKeys)) {
      const res = await api(server, method, path, { ...(key === undefined ? {} : { key }), ...(body === undefined ? {} : { body }) });
      expect(res.status, `${kind} key`).toBe(401);
      expect(res.body, `${kind} key`).toMatchObject({ error: expect.any(String) as unknown, code: "CT_AUTH_FAILED" });
    }
    const me = await api(server, "GET", "/api/me", { key: victim.apiKey });
    expect(me.body).toMatchObject({ communicationMode: "allowlist_only", stats: { totalMessages: 0, allowlistCount: 0 } });
  });

  it("answers 429 with Retry-After after ten wrong secrets a minute from one address, without locking the owner out", async () => {
    const owner = await server.createName("owner", "owner@example.com");
    const wrong = `claw_${owner.apiKey.split("_")[1] ?? ""}_abcdefghijklmnopqrstuvwxyz012345`;
    for (let i = 0; i < MAX_KEY_FAILURES_PER_MINUTE; i++) expect((await api(server, "GET", "/api/me", { key: wrong })).status).toBe(401);
    const throttled = await api(server, "GET", "/api/me", { key: wrong });
    expect(throttled.status).toBe(429);
    expect(throttled.body).toMatchObject({ code: "CT_RATE_LIMITED" });
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(throttled.headers.get("retry-after"))).toBeLessThanOrEqual(60);

    // The owner, calling from another address, gets in; from then on the key works from the guesser's address too.
    const elsewhere = new Agent({ localAddress: "127.0.0.2" });
    try {
      const res = await undiciFetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${owner.apiKey}` }, dispatcher: elsewhere });
      expect(res.status).toBe(200);
    } finally {
      await elsewhere.close();
    }
    expect((await api(server, "GET", "/api/me", { key: owner.apiKey })).status).toBe(200);
  });
});
