import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManualClock } from "../../../src/infra/index.js";
import { buildServer, createName, openEmbeddedStorage, openFileStore, type CreatedName, type Storage } from "../../../src/server/index.js";
import { api, TEST_BCRYPT_COST } from "../../helpers/test-server.js";

const MINUTE_MS = 60 * 1000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** The jobs' interval: long in real time, so only the manual clock can make them run. */
const INTERVAL_MS = 5 * MINUTE_MS;

// The retention jobs wait on the injected clock: they run when it moves by their interval, and at no other time.
describe("retention jobs", () => {
  let dir: string;
  let storage: Storage;
  let app: FastifyInstance;
  let server: { url: string };
  let alice: CreatedName;
  let bob: CreatedName;
  const clock = createManualClock(Date.UTC(2026, 0, 1));

  beforeEach(async () => {
    await clock.set(Date.UTC(2026, 0, 1));
    dir = await mkdtemp(join(tmpdir(), "clawtell-retention-"));
    storage = await openEmbeddedStorage({ dataDir: dir });
    app = await buildServer({ storage, files: openFileStore(dir), clock, options: { retentionIntervalMs: INTERVAL_MS } });
    server = { url: await app.listen({ host: "127.0.0.1", port: 0 }) };
    alice = await createName(storage.directory, { name: "alice", email: "a@example.com" }, { bcryptCost: TEST_BCRYPT_COST, clock });
    bob = await createName(storage.directory, { name: "bob", email: "b@example.com" }, { bcryptCost: TEST_BCRYPT_COST, clock });
  });
  afterEach(async () => {
    await app.close();
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  const send = async (body: string, idempotencyKey?: string): Promise<string> => {
    const headers = idempotencyKey === undefined ? {} : { headers: { "idempotency-key": idempotencyKey } };
    return String((await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body }, ...headers })).body["messageId"]);
  };
  const ack = async (id: string): Promise<void> => {
    await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: [id] } });
  };
  const stored = async (id: string): Promise<boolean> => (await storage.messages.find(id)) !== undefined;

  it("deletes acked messages an hour after the ack and unacked ones after 14 days", async () => {
    const early = await send("acked first");
    const pending = await send("pending");
    await ack(early);
    await clock.advance(30 * MINUTE_MS);
    const late = await send("acked half an hour later");
    await ack(late);

    // One purge runs at this turn: it deletes the message acked an hour ago and keeps the one acked half an hour ago.
    await clock.advance(30 * MINUTE_MS + INTERVAL_MS);
    await expect.poll(() => stored(early)).toBe(false);
    expect(await stored(late)).toBe(true);
    expect(await stored(pending)).toBe(true);

    await clock.advance(30 * MINUTE_MS);
    await expect.poll(() => stored(late)).toBe(false);
    expect(await stored(pending)).toBe(true);

    await clock.advance(14 * DAY_MS);
    await expect.poll(() => stored(pending)).toBe(false);
  });

  it("deletes Idempotency-Keys after 24 hours and receipts after 30 days", async () => {
    const id = await send("with a key", "retained-key");
    await ack(id);
    const key = () => storage.idempotency.find(alice.accountId, "retained-key", 0);
    expect(await key()).toBeDefined();

    await clock.advance(DAY_MS + INTERVAL_MS);
    await expect.poll(key).toBeUndefined();
    expect(await storage.receipts.find(id)).toMatchObject({ purged: true, at: { acked: Date.UTC(2026, 0, 1) } });

    await clock.advance(30 * DAY_MS);
    await expect.poll(() => storage.receipts.find(id)).toBeUndefined();
  });
});
