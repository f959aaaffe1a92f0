// Key rotation over real HTTP: POST /api/keys/rotate answers a new key once; the old key is refused from the next
// request on, also on a keep-alive connection that used it before; the account's other names keep their keys; the
// rotation is in the audit log with the caller's address.
import { Pool } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedName } from "../../../src/server/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

/** One request on the pool's single connection. */
async function onConnection(pool: Pool, path: string, key: string, method: "GET" | "POST" = "GET"): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await pool.request({ method, path, headers: { authorization: `Bearer ${key}`, "content-type": "application/json" } });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

describe("POST /api/keys/rotate", () => {
  let server: TestServer;
  let alice: CreatedName;
  let helper: CreatedName;

  beforeAll(async () => {
    server = await startTestServer();
    alice = await server.createName("alice", "team@example.com");
    helper = await server.createName("helper", "team@example.com");
  });
  afterAll(async () => server.close());

  it("answers a new key once, refuses the old one at once on the same keep-alive connection and a new one, and leaves the account's other names alone", async () => {
    const pool = new Pool(server.url, { connections: 1, pipelining: 1 });
    try {
      // The old key is known to the server and to this connection before the rotation.
      expect((await onConnection(pool, "/api/me", alice.apiKey)).status).toBe(200);
      expect((await onConnection(pool, "/api/me", alice.apiKey)).status).toBe(200);
      expect((await api(server, "GET", "/api/me", { key: helper.apiKey })).status).toBe(200);

      const rotated = await onConnection(pool, "/api/keys/rotate", alice.apiKey, "POST");
      expect(rotated.status).toBe(200);
      expect(rotated.body).toMatchObject({ success: true, name: "alice" });
      const newKey = String(rotated.body["apiKey"]);
      expect(newKey).toMatch(/^claw_[a-z0-9]+_[A-Za-z0-9_-]+$/);
      expect(newKey).not.toBe(alice.apiKey);

      // The old key: refused on the connection that used it, and on a new one.
      const sameConnection = await onConnection(pool, "/api/me", alice.apiKey);
      expect(sameConnection.status).toBe(401);
      expect((await api(server, "GET", "/api/me", { key: alice.apiKey })).status).toBe(401);
      expect((await api(server, "POST", "/api/keys/rotate", { key: alice.apiKey })).status).toBe(401);

      // The new key works on the same connection and on a new one, for the same name and account.
      const me = await onConnection(pool, "/api/me", newKey);
      expect(me.status).toBe(200);
      expect(me.body["names"]).toEqual(["alice", "helper"]);
      expect((await api(server, "POST", "/api/messages/send", { key: newKey, body: { to: "helper", body: "after rotation" } })).status).toBe(200);

      // The account's other name keeps its key.
      const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: helper.apiKey });
      expect(polled.status).toBe(200);
      expect(polled.body["messages"]).toMatchObject([{ from: "tell/alice", body: "after rotation" }]);
    } finally {
      await pool.close();
    }
  });

  it("records the rotation in the audit log with the name, the actor and the caller's address, never the key", async () => {
    const bob = await server.createName("bob", "bob@example.com");
    const rotated = await api(server, "POST", "/api/keys/rotate", { key: bob.apiKey });
    expect(rotated.status).toBe(200);
    const entries = await server.storage.directory.listAudit({ name: "bob", limit: 10 });
    expect(entries[0]).toMatchObject({ action: "key.rotated", name: "bob", actor: "bob", ip: "127.0.0.1" });
    expect(entries.map((e) => e.action)).toEqual(["key.rotated", "name.created"]);
    expect(JSON.stringify(entries)).not.toContain(String(rotated.body["apiKey"]));
    expect(JSON.stringify(entries)).not.toContain(bob.apiKey);
  });
});
