import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MASTER_KEY_FILE, SEAL_PREFIX, createSealer, messageContext, openKeyring } from "../../../src/server/crypto/index.js";
import { createName, openEmbeddedDirectory, openSqliteArchive, type CreatedName, type SqliteArchive } from "../../../src/server/index.js";
import { api, embeddedOnly, startTestServer, TEST_BCRYPT_COST, type TestServer } from "../../helpers/test-server.js";

// The admin CLI creates names through its own SQLite connection while the server runs on the same data folder.
// A second connection on the same file stands in for that process here (the CLI's own tests spawn it for real).
describe.skipIf(embeddedOnly("the admin CLI writing names into the data folder of a running server"))("names created beside a running server", () => {
  let server: TestServer;
  let admin: ReturnType<typeof openEmbeddedDirectory>;
  /** A third connection, to read what the archive holds. */
  let reader: SqliteArchive;
  let alice: CreatedName;

  beforeEach(async () => {
    server = await startTestServer();
    admin = openEmbeddedDirectory({ dataDir: server.dataDir });
    reader = openSqliteArchive({ dataDir: server.dataDir });
    alice = await server.createName("alice", "team@example.com");
  });
  afterEach(async () => {
    reader.close();
    await admin.close();
    await server.close();
  });

  const adminCreate = (name: string, email: string) => createName(admin.directory, { name, email }, { bcryptCost: TEST_BCRYPT_COST });

  it("are found at once: their key works, they receive, and their account includes them", async () => {
    // Warm the server's caches for alice's account before the new name exists.
    expect((await api(server, "GET", "/api/me", { key: alice.apiKey })).body["names"]).toEqual(["alice"]);
    expect((await api(server, "GET", "/api/names/helper")).status).toBe(404);

    const helper = await adminCreate("helper", "team@example.com");
    expect(helper.accountId).toBe(alice.accountId);

    const sent = await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "helper", body: "welcome" } });
    expect(sent.status).toBe(200);
    const polled = await api(server, "GET", "/api/messages/poll-account?timeout=0", { key: helper.apiKey });
    expect(polled.status).toBe(200);
    expect(polled.body["messages"]).toMatchObject([{ id: sent.body["messageId"], to_name: "helper", body: "welcome" }]);
    const acked = await api(server, "POST", "/api/messages/ack", { key: helper.apiKey, body: { messageIds: [sent.body["messageId"]] } });
    expect(acked.body).toEqual({ success: true, acked: 1 });
    expect((await api(server, "GET", "/api/me", { key: helper.apiKey })).body["names"]).toEqual(["alice", "helper"]);
  });

  it("refuses a name the running server already holds, and admin and server see each other's writes", async () => {
    await expect(adminCreate("alice", "other@example.com")).rejects.toMatchObject({ code: "CT_CONFLICT" });
    const bob = await adminCreate("bob", "bob@example.com");
    const sent = await api(server, "POST", "/api/messages/send", { key: bob.apiKey, body: { to: "alice", body: "hi" } });
    // The send is journaled first; the database has it once the archive takes it over (every 200 ms).
    const id = String(sent.body["messageId"]);
    for (let i = 0; i < 100 && reader.findMessage(id) === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    // The archive holds the body sealed under the folder's master key; it opens to what was sent.
    const stored = reader.findMessage(id);
    expect(stored?.body.startsWith(SEAL_PREFIX)).toBe(true);
    const sealer = createSealer(openKeyring({ file: join(server.dataDir, MASTER_KEY_FILE), create: false }));
    expect(sealer.openPair(stored?.subject ?? "", stored?.body ?? "", messageContext(id)).body).toBe("hi");
  });
});
