// A server on PostgreSQL while the database cannot be reached: it answers 503 CT_UNAVAILABLE, and serves again by
// itself once the database is back. The database stays up; the outage is a TCP relay in front of it being cut.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createName, startServer, type RunningServer } from "../../../src/server/index.js";
import { createTestSchema, postgresUnavailable, TEST_DATABASE_URL, urlWithSchema } from "../../helpers/storage-backends.js";
import { api, TEST_BCRYPT_COST } from "../../helpers/test-server.js";
import { TEST_MASTER_KEY } from "../../helpers/master-key.js";

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) process.stderr.write(`postgres outage: skipping: ${unavailable}\n`);

/** A relay from a local port to the database that can be cut (every connection ended, nothing accepted) and restored. */
async function startRelay(target: URL): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = async (): Promise<void> => {
    const relay = createServer((client) => {
      const upstream = createConnection({ host: target.hostname, port: Number(target.port || 5432) });
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.once("close", () => sockets.delete(socket));
        socket.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((done) => relay.listen(port, "127.0.0.1", done));
    const address = relay.address();
    if (typeof address === "object" && address !== null) port = address.port;
    server = relay;
  };
  const cut = async (): Promise<void> => {
    const closing = server === undefined ? Promise.resolve() : new Promise<void>((done) => server?.close(() => done()));
    server = undefined;
    for (const socket of sockets) socket.destroy();
    await closing;
  };
  await listen();
  return { port, cut, restore: listen, close: cut };
}

describe.skipIf(unavailable !== undefined)("a server on postgres during a database outage", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("answers 503 CT_UNAVAILABLE while the database is away, and serves again once it is back", async () => {
    const { schema, drop } = await createTestSchema();
    cleanups.push(drop);
    const target = new URL(TEST_DATABASE_URL);
    const relay = await startRelay(target);
    cleanups.push(() => relay.close());
    const viaRelay = new URL(urlWithSchema(schema));
    viaRelay.hostname = "127.0.0.1";
    viaRelay.port = String(relay.port);
    const server: RunningServer = await startServer({ database: viaRelay.toString(), port: 0, encryption: { masterKey: TEST_MASTER_KEY } });
    cleanups.push(() => server.close());
    const alice = await createName(server.storage.directory, { name: "alice", email: "alice@example.com" }, { bcryptCost: TEST_BCRYPT_COST });
    const bob = await createName(server.storage.directory, { name: "bob", email: "bob@example.com" }, { bcryptCost: TEST_BCRYPT_COST });
    const send = (body: string) => api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body } });
    expect((await send("before")).status).toBe(200);

    await relay.cut();
    await expect(server.storage.ping()).rejects.toMatchObject({ code: "CT_UNAVAILABLE" });
    const refused = await send("during");
    expect([refused.status, refused.body["code"]]).toEqual([503, "CT_UNAVAILABLE"]);
    const poll = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    expect([poll.status, poll.body["code"]]).toEqual([503, "CT_UNAVAILABLE"]);

    await relay.restore();
    // New connections are opened on the next calls; no restart of the server.
    let back = false;
    for (let attempt = 0; attempt < 50 && !back; attempt++) {
      back = await server.storage.ping().then(
        () => true,
        () => false,
      );
      if (!back) await new Promise((done) => setTimeout(done, 100));
    }
    expect(back).toBe(true);
    expect((await send("after")).status).toBe(200);
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    expect(polled.status).toBe(200);
    expect((polled.body["messages"] as Array<{ body: string }>).map((m) => m.body)).toEqual(["before", "after"]);
  });
});
