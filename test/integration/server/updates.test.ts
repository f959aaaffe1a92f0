import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedName } from "../../../src/server/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

const manifest = JSON.parse(await readFile(resolve(import.meta.dirname, "../../../package.json"), "utf8")) as { name: string; version: string };

// The SDKs' housekeeping calls: update checks, and renewal (names here never expire, so renewing is a free no-op).
describe("/api/updates and /api/renew", () => {
  let server: TestServer;
  let alice: CreatedName;

  beforeAll(async () => {
    server = await startTestServer();
    alice = await server.createName("alice", "alice@example.com");
  });
  afterAll(async () => server.close());

  it("reports package.json's version as the latest skill, plugin and server, and none for the official SDKs", async () => {
    const res = await api(server, "GET", "/api/updates", { key: alice.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      hasUpdates: false,
      updates: [],
      latestVersions: { python: null, javascript: null, skill: manifest.version, plugin: manifest.version, server: manifest.version },
    });
  });

  it("registers an official SDK's version with no updates, in the shape the SDKs read", async () => {
    const res = await api(server, "POST", "/api/updates", { key: alice.apiKey, body: { sdk: "python", sdkVersion: "2026.3.8", notifyOnUpdates: true } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ registered: true, agent: "alice", hasUpdates: false, updates: [] });
    expect(String(res.body["message"])).toContain("does not follow the releases of python");
  });

  it("reports an update of this package to a client that runs an older one", async () => {
    const res = await api(server, "POST", "/api/updates", { key: alice.apiKey, body: { sdk: manifest.name, sdkVersion: "0.0.1" } });
    expect(res.body).toMatchObject({
      registered: true,
      agent: "alice",
      hasUpdates: true,
      updates: [
        {
          type: "plugin",
          sdk: manifest.name,
          current: "0.0.1",
          latest: manifest.version,
          upgradeCommand: `openclaw plugins update ${manifest.name}@${manifest.version} && openclaw gateway restart`,
          changelogUrl: `${server.url}/changelog`,
        },
      ],
    });
    const current = await api(server, "POST", "/api/updates", { key: alice.apiKey, body: { sdk: "skill", sdkVersion: manifest.version } });
    expect(current.body).toMatchObject({ hasUpdates: false, updates: [] });
  });

  it("refuses a missing key with 401 and a bad body with 400 naming the field", async () => {
    expect((await api(server, "GET", "/api/updates")).status).toBe(401);
    const bad = await api(server, "POST", "/api/updates", { key: alice.apiKey, body: { notifyOnUpdates: "yes" } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: "CT_BAD_REQUEST", field: "notifyOnUpdates" });
  });

  it("offers nothing to buy", async () => {
    const res = await api(server, "GET", "/api/renew", { key: alice.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "alice", options: [] });
  });

  it("renews for free without changing the expiry /api/me reports", async () => {
    const me = await api(server, "GET", "/api/me", { key: alice.apiKey });
    const renewed = await api(server, "POST", "/api/renew", { key: alice.apiKey, body: { years: 5 } });
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({ success: true, freeRenewal: true, yearsAdded: 0, newExpiresAt: me.body["expiresAt"] });
    // A body-less POST (the clients still send Content-Type: application/json) means one year.
    expect((await api(server, "POST", "/api/renew", { key: alice.apiKey })).status).toBe(200);
  });

  it("refuses a missing key with 401 and a period the SDKs do not offer with 400 naming years", async () => {
    expect((await api(server, "GET", "/api/renew")).status).toBe(401);
    const bad = await api(server, "POST", "/api/renew", { key: alice.apiKey, body: { years: 3 } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: "CT_BAD_REQUEST", field: "years" });
    expect(String(bad.body["error"])).toContain("1, 5, 10, 25, 50, 100");
  });
});
