// Closing a LISTEN subscription while its connection is still being opened: the connection that comes up afterwards
// goes back to the pool, so that ending the pool (which waits for every connection handed out) ends.
import { createConnection, createServer, type Socket } from "node:net";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../../src/infra/index.js";
import { createPostgresTransport } from "../../../src/server/store/postgres/pg-listen.js";
import { postgresUnavailable, TEST_DATABASE_URL } from "../../helpers/storage-backends.js";

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) process.stderr.write(`postgres listen close: skipping: ${unavailable}\n`);

/** A relay to the database that accepts connections but passes nothing on until `release` (a connect under way). */
async function startHoldingRelay(target: URL): Promise<{ port: number; held(): number; release(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const waiting: Array<() => void> = [];
  let holding = true;
  const relay = createServer((client) => {
    sockets.add(client);
    client.on("error", () => undefined);
    const connect = (): void => {
      const upstream = createConnection({ host: target.hostname, port: Number(target.port || 5432) });
      sockets.add(upstream);
      upstream.on("error", () => undefined);
      client.pipe(upstream).pipe(client);
    };
    if (holding) waiting.push(connect);
    else connect();
  });
  await new Promise<void>((done) => relay.listen(0, "127.0.0.1", done));
  const address = relay.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    held: () => waiting.length,
    release() {
      holding = false;
      for (const connect of waiting.splice(0)) connect();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((done) => relay.close(() => done()));
    },
  };
}

describe.skipIf(unavailable !== undefined)("a postgres LISTEN subscription closed while it connects", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("gives the connection back and lets the pool end", async () => {
    const relay = await startHoldingRelay(new URL(TEST_DATABASE_URL));
    cleanups.push(() => relay.close());
    const viaRelay = new URL(TEST_DATABASE_URL);
    viaRelay.hostname = "127.0.0.1";
    viaRelay.port = String(relay.port);
    const pool = new pg.Pool({ connectionString: viaRelay.toString(), max: 2 });
    pool.on("error", () => undefined);
    const transport = createPostgresTransport({ pool, ownsPool: true, channel: "ct_listen_close", clock: systemClock });
    const events: string[] = [];
    transport.start({ up: () => events.push("up"), down: () => events.push("down"), message: () => undefined });
    await expect.poll(() => relay.held()).toBe(1);

    const closed = transport.close().then(() => events.push("closed"));
    relay.release();
    await closed;
    expect(pool.totalCount).toBe(0);
    expect(events).toEqual(["closed"]);
  });
});
