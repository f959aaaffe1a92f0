// Two servers (each with its own notifier, as two processes would have) share one storage: a send through one wakes
// a long poll and a stream parked on the other, over Redis and over PostgreSQL LISTEN/NOTIFY.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildServer, createName, openEmbeddedStorage, openFileStore } from "../../../src/server/index.js";
import { createNotifier, type Notifier, type NotifierOptions } from "../../../src/server/notifier.js";
import { redisUnavailable, TEST_REDIS_URL, uniqueChannel } from "../../helpers/redis-server.js";
import { postgresUnavailable, TEST_DATABASE_URL } from "../../helpers/test-database.js";
import { messagesOf, readStream } from "../../helpers/sse.js";
import { api, TEST_BCRYPT_COST } from "../../helpers/test-server.js";

interface Kind {
  readonly name: string;
  unavailable(): Promise<string | undefined>;
  options(): NotifierOptions;
}

const KINDS: readonly Kind[] = [
  { name: "redis", unavailable: () => redisUnavailable(), options: () => ({ redisUrl: TEST_REDIS_URL }) },
  { name: "postgres", unavailable: () => postgresUnavailable(), options: () => ({ databaseUrl: TEST_DATABASE_URL }) },
];

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.each(KINDS)("two servers with notifiers over $name", (kind) => {
  let skipReason: string | undefined;
  beforeAll(async () => {
    skipReason = await kind.unavailable();
    if (skipReason !== undefined) process.stderr.write(`two servers over ${kind.name}: skipping: ${skipReason}\n`);
  });

  interface TwoServers {
    a: { url: string };
    b: { url: string };
    na: Notifier;
    nb: Notifier;
    apps: FastifyInstance[];
    alice: string;
    bob: string;
  }

  async function setup(): Promise<TwoServers> {
    const dataDir = await mkdtemp(join(tmpdir(), "clawtell-two-servers-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const storage = await openEmbeddedStorage({ dataDir });
    cleanups.push(() => storage.close());
    const files = openFileStore(dataDir);
    const channel = uniqueChannel(kind.name);
    const na = createNotifier({ ...kind.options(), channel });
    const nb = createNotifier({ ...kind.options(), channel });
    cleanups.push(() => na.close(), () => nb.close());
    await expect.poll(() => na.healthy() && nb.healthy(), { timeout: 10_000, interval: 20 }).toBe(true);
    const urls: string[] = [];
    const apps: FastifyInstance[] = [];
    for (const notifier of [na, nb]) {
      const app = await buildServer({ storage, files, notifier });
      apps.push(app);
      cleanups.push(() => app.close());
      urls.push(await app.listen({ host: "127.0.0.1", port: 0 }));
    }
    const alice = await createName(storage.directory, { name: "alice", email: "alice@example.test" }, { bcryptCost: TEST_BCRYPT_COST });
    const bob = await createName(storage.directory, { name: "bob", email: "bob@example.test" }, { bcryptCost: TEST_BCRYPT_COST });
    return { a: { url: urls[0] ?? "" }, b: { url: urls[1] ?? "" }, na, nb, apps, alice: alice.apiKey, bob: bob.apiKey };
  }

  it("wakes a long poll on the other server", async (context) => {
    if (skipReason !== undefined) return context.skip();
    const { a, b, nb, alice, bob } = await setup();
    const polling = api(b, "GET", "/api/messages/poll?timeout=30", { key: bob });
    await expect.poll(() => nb.waiting(), { timeout: 10_000, interval: 10 }).toBe(1);
    const sent = await api(a, "POST", "/api/messages/send", { key: alice, body: { to: "bob", body: "across processes" } });
    expect(sent.status).toBe(200);
    const polled = await polling;
    expect((polled.body["messages"] as Array<{ body: string }>).map((m) => m.body)).toEqual(["across processes"]);
    expect(nb.waiting()).toBe(0);
  });

  it("wakes a stream on the other server, and leaves a notifier it was given open when it closes", async (context) => {
    if (skipReason !== undefined) return context.skip();
    const { a, b, na, nb, apps, alice, bob } = await setup();
    const streaming = readStream(b, bob, { query: "timeout=30", stopWhen: (events) => messagesOf(events).length >= 1, maxMs: 25_000 });
    await expect.poll(() => nb.waiting(), { timeout: 10_000, interval: 10 }).toBe(1);
    await api(a, "POST", "/api/messages/send", { key: alice, body: { to: "bob", body: "streamed across" } });
    const read = await streaming;
    expect(messagesOf(read.events).map((m) => m["body"])).toEqual(["streamed across"]);
    await expect.poll(() => nb.waiting(), { timeout: 10_000, interval: 10 }).toBe(0);
    await Promise.all(apps.map((app) => app.close()));
    expect(na.healthy() && nb.healthy()).toBe(true);
    const parked = nb.wait([1], 30_000);
    na.notify(1);
    expect(await parked).toBe(true);
  });
});
