import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManualClock } from "../../../src/infra/index.js";
import { buildServer, createName, openEmbeddedStorage, openFileStore, type CreatedName, type Storage } from "../../../src/server/index.js";
import { api, TEST_BCRYPT_COST } from "../../helpers/test-server.js";

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

// The retention job runs on its own timer but reads time from the injected clock.
describe("retention job", () => {
  let dir: string;
  let storage: Storage;
  let app: FastifyInstance;
  let server: { url: string };
  let alice: CreatedName;
  let bob: CreatedName;
  const clock = createManualClock(Date.UTC(2026, 0, 1));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-retention-"));
    storage = await openEmbeddedStorage({ dataDir: dir });
    app = await buildServer({ storage, files: openFileStore(dir), clock, options: { retentionIntervalMs: 10 } });
    server = { url: await app.listen({ host: "127.0.0.1", port: 0 }) };
    alice = await createName(storage.directory, { name: "alice", email: "a@example.com" }, { bcryptCost: TEST_BCRYPT_COST, clock });
    bob = await createName(storage.directory, { name: "bob", email: "b@example.com" }, { bcryptCost: TEST_BCRYPT_COST, clock });
  });
  afterEach(async () => {
    await app.close();
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  const send = async (body: string): Promise<string> =>
    String((await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body } })).body["messageId"]);
  const waitUntil = async (done: () => Promise<boolean>): Promise<void> => {
    for (let i = 0; i < 200 && !(await done()); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await done()).toBe(true);
  };
  const stored = async (id: string): Promise<boolean> => (await storage.messages.find(id)) !== undefined;

  it("deletes acked messages an hour after the ack and unacked ones after 14 days", async () => {
    const acked = await send("acked");
    const pending = await send("pending");
    await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: [acked] } });

    await clock.advance(HOUR_MS - 1000);
    await new Promise((resolve) => setTimeout(resolve, 40)); // a few job runs: nothing is due yet
    expect(await stored(acked)).toBe(true);

    await clock.advance(2000);
    await waitUntil(async () => !(await stored(acked)));
    expect(await stored(pending)).toBe(true);

    await clock.advance(14 * DAY_MS);
    await waitUntil(async () => !(await stored(pending)));
  });
});
