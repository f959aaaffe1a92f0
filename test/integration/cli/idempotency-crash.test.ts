// Idempotent sends against real server processes (the shipped bundle): a SIGKILL while keyed sends are in flight leaves
// exactly one message per key, and every answered key replays its answer after the restart; on PostgreSQL, two
// processes given the same key at once store one message.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createName, openEmbeddedDirectory, openPostgresStorage, type CreatedName } from "../../../src/server/index.js";
import { startDatabaseServerProcess, startServerProcess, type ServerProcess } from "../../helpers/cli-process.js";
import { createTestSchema, postgresUnavailable, TEST_DATABASE_URL, urlWithSchema } from "../../helpers/storage-backends.js";
import { api } from "../../helpers/test-server.js";

/** Waits until `reached()` holds, checking every 10 ms: count-driven, bounded only by the test's timeout. */
async function until(reached: () => boolean): Promise<void> {
  while (!reached()) await new Promise((r) => setTimeout(r, 10));
}

const send = (server: { url: string }, key: string, apiKey: string) =>
  api(server, "POST", "/api/messages/send", { key: apiKey, body: { to: "bob", body: `message for ${key}` }, headers: { "idempotency-key": key } });

/** Polls and acks until nothing waits; answers the ids in the order they came. */
async function drain(server: { url: string }, key: string): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const res = await api(server, "GET", "/api/messages/poll?timeout=0&limit=100", { key });
    const ids = (res.body["messages"] as Array<{ id: string }>).map((m) => m.id);
    if (ids.length === 0) return seen;
    seen.push(...ids);
    await api(server, "POST", "/api/messages/ack", { key, body: { messageIds: ids } });
  }
}

/**
 * Keyed sends from 8 workers until `confirmed` answers came, then SIGKILL; a new process replays every key that was
 * tried. Each key must end with exactly one stored message, and an answered key with the message it was answered.
 */
async function killDuringKeyedSends(start: () => Promise<ServerProcess>, alice: CreatedName, bob: CreatedName): Promise<void> {
  const server = await start();
  const tried = new Set<string>();
  const answered = new Map<string, string>();
  let stop = false;
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; !stop; i++) {
      const key = `w${w}-${i}`;
      tried.add(key);
      const res = await send(server, key, alice.apiKey).catch(() => undefined);
      if (res === undefined) return; // killed: this key may or may not be stored
      if (res.status === 200) answered.set(key, String(res.body["messageId"]));
    }
  };
  const workers = Array.from({ length: 8 }, (_, w) => worker(w));
  await until(() => answered.size >= 120);
  await server.kill();
  stop = true;
  await Promise.all(workers);

  const restarted = await start();
  try {
    const replayed = new Map<string, string>();
    const keys = [...tried];
    for (let i = 0; i < keys.length; i += 16) {
      await Promise.all(
        keys.slice(i, i + 16).map(async (key) => {
          const res = await send(restarted, key, alice.apiKey);
          expect(res.status).toBe(200);
          replayed.set(key, String(res.body["messageId"]));
        }),
      );
    }
    for (const [key, id] of answered) expect(replayed.get(key), key).toBe(id);
    const stored = await drain(restarted, bob.apiKey);
    expect(stored.length).toBe(tried.size);
    expect(new Set(stored)).toEqual(new Set(replayed.values()));
  } finally {
    await restarted.stop();
  }
}

describe("idempotent sends across a SIGKILL, with a data folder", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-idem-crash-"));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("keeps one message per key and replays every answered key", async () => {
    const { directory, close } = openEmbeddedDirectory({ dataDir: dir });
    let alice: CreatedName;
    let bob: CreatedName;
    try {
      alice = await createName(directory, { name: "alice", email: "a@example.com" }, { bcryptCost: 4 });
      bob = await createName(directory, { name: "bob", email: "b@example.com" }, { bcryptCost: 4 });
    } finally {
      await close();
    }
    await killDuringKeyedSends(() => startServerProcess(dir), alice, bob);
  });
});

const unavailable = await postgresUnavailable();
describe.skipIf(unavailable !== undefined)("idempotent sends on PostgreSQL", () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let alice: CreatedName;
  let bob: CreatedName;
  const database = (): string => urlWithSchema(schema.schema);

  beforeEach(async () => {
    schema = await createTestSchema();
    const storage = await openPostgresStorage({ url: TEST_DATABASE_URL, schema: schema.schema });
    try {
      alice = await createName(storage.directory, { name: "alice", email: "a@example.com" }, { bcryptCost: 4 });
      bob = await createName(storage.directory, { name: "bob", email: "b@example.com" }, { bcryptCost: 4 });
    } finally {
      await storage.close();
    }
  });
  afterEach(async () => schema.drop());

  it("keeps one message per key and replays every answered key across a SIGKILL", async () => {
    await killDuringKeyedSends(() => startDatabaseServerProcess({ database: database() }), alice, bob);
  });

  it("stores one message when two processes get the same key at the same moment", async () => {
    const [one, two] = await Promise.all([startDatabaseServerProcess({ database: database() }), startDatabaseServerProcess({ database: database() })]);
    try {
      const keys = Array.from({ length: 40 }, (_, i) => `both-${i}`);
      for (const key of keys) {
        const answers = await Promise.all([send(one, key, alice.apiKey), send(two, key, alice.apiKey), send(one, key, alice.apiKey), send(two, key, alice.apiKey)]);
        expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
        expect(new Set(answers.map((a) => a.body["messageId"])).size).toBe(1);
      }
      const stored = await drain(one, bob.apiKey);
      expect(stored).toHaveLength(keys.length);
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
  });
});
