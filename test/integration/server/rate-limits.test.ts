// Rate limits: per caller address on the public routes, per API key on the routes that need one; 429 CT_RATE_LIMITED
// with an integer Retry-After and retry_after in the body; a long poll or a stream counts once however long it
// waits; counters shared through Redis by several servers.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildServer, openEmbeddedStorage, openFileStore, type CreatedName, type Storage } from "../../../src/server/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

/** A 429 as the SDKs read it: integer Retry-After within the window, the same seconds in the body. */
function expectRateLimited(res: { status: number; body: Record<string, unknown>; headers: Headers }, windowS: number): void {
  expect(res.status).toBe(429);
  const header = res.headers.get("retry-after") ?? "";
  expect(header).toMatch(/^\d+$/);
  expect(Number(header)).toBeGreaterThanOrEqual(1);
  expect(Number(header)).toBeLessThanOrEqual(windowS);
  expect(res.body).toMatchObject({ statusCode: 429, code: "CT_RATE_LIMITED", error: expect.any(String) as unknown, retry_after: Number(header) });
}

/** A GET from another caller address (127.0.0.2). */
async function fromElsewhere(url: string, key?: string): Promise<number> {
  const elsewhere = new Agent({ localAddress: "127.0.0.2" });
  try {
    const res = await undiciFetch(url, { headers: key === undefined ? {} : { authorization: `Bearer ${key}` }, dispatcher: elsewhere });
    await res.arrayBuffer();
    return res.status;
  } finally {
    await elsewhere.close();
  }
}

describe("rate limits", () => {
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;
  afterEach(async () => server.close());

  it("limits the public routes per caller address, and not the routes that need a key", async () => {
    server = await startTestServer({ publicRateLimit: { max: 3, windowMs: 60_000 } });
    alice = await server.createName("alice", "alice@example.com");
    for (let i = 0; i < 3; i++) {
      const res = await api(server, "GET", i === 1 ? "/api/names/alice" : "/api/names/check?name=someone");
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-limit")).toBeNull();
    }
    const refused = await api(server, "GET", "/health");
    expectRateLimited(refused, 60);
    expect(refused.headers.get("x-ratelimit-limit")).toBe("3");
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(await fromElsewhere(`${server.url}/health`)).toBe(200);
    expect((await api(server, "GET", "/api/me", { key: alice.apiKey })).status).toBe(200);
  });

  it("behind a trusted proxy, counts each caller named by X-Forwarded-For, and ignores the header from anyone else", async () => {
    server = await startTestServer({ publicRateLimit: { max: 2, windowMs: 60_000 }, trustProxy: "127.0.0.1" });
    const via = (caller: string) => api(server, "GET", "/api/names/check?name=someone", { headers: { "x-forwarded-for": caller } });
    expect((await via("203.0.113.7")).status).toBe(200);
    expect((await via("203.0.113.7")).status).toBe(200);
    expectRateLimited(await via("203.0.113.7"), 60);
    // Another caller behind the same proxy has its own count.
    expect((await via("198.51.100.9")).status).toBe(200);
    // 127.0.0.2 is not a trusted proxy: its header (naming the caller already refused) is ignored, and it is counted
    // by its own address.
    const elsewhere = new Agent({ localAddress: "127.0.0.2" });
    try {
      for (const expected of [200, 200, 429]) {
        const res = await undiciFetch(`${server.url}/api/names/check?name=someone`, { headers: { "x-forwarded-for": "203.0.113.7" }, dispatcher: elsewhere });
        await res.arrayBuffer();
        expect(res.status).toBe(expected);
      }
    } finally {
      await elsewhere.close();
    }
  });

  it("limits the routes that need a key per key, whatever the address, and not the account's other keys", async () => {
    server = await startTestServer({ keyRateLimit: { max: 3, windowMs: 30_000 } });
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
    expect((await api(server, "GET", "/api/me", { key: alice.apiKey })).status).toBe(200);
    expect((await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: "hi" } })).status).toBe(200);
    expect(await fromElsewhere(`${server.url}/api/me`, alice.apiKey)).toBe(200);
    const refused = await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: "one too many" } });
    expectRateLimited(refused, 30);
    expect(await fromElsewhere(`${server.url}/api/me`, alice.apiKey)).toBe(429);
    // Nothing was stored for the refused send.
    const inbox = await api(server, "GET", "/api/messages/inbox", { key: bob.apiKey });
    expect((inbox.body["messages"] as Array<{ body: string }>).map((m) => m.body)).toEqual(["hi"]);
    expect((await api(server, "GET", "/api/names/check?name=x1", {})).status).toBe(200);
    // A wrong key is still a 401 (checked first), never a 429 of the limit.
    expect((await api(server, "GET", "/api/me", { key: "claw_000000000000_abcdefghijklmnopqrstuvwxyz012345" })).status).toBe(401);
  });

  it("counts a stream and a long poll once each, however long they wait", async () => {
    server = await startTestServer({ keyRateLimit: { max: 4, windowMs: 60_000 }, keepaliveMs: 20 });
    alice = await server.createName("alice", "alice@example.com");
    const controller = new AbortController();
    const stream = await fetch(`${server.url}/v1/stream?timeout=60`, { headers: { authorization: `Bearer ${alice.apiKey}` }, signal: controller.signal });
    expect(stream.status).toBe(200);
    const reader = stream.body?.getReader();
    try {
      // Wait, by what the stream says, until it has kept alive several times.
      let text = "";
      while ((text.match(/: keepalive/g) ?? []).length < 5) {
        const chunk = await reader?.read();
        if (chunk === undefined || chunk.done) throw new Error("stream ended");
        text += new TextDecoder().decode(chunk.value);
      }
      const poll = await api(server, "GET", "/api/messages/poll?timeout=1", { key: alice.apiKey });
      expect(poll.status).toBe(200);
      expect(poll.body["waitedMs"]).toBeGreaterThanOrEqual(900);
      expect((await api(server, "GET", "/api/me", { key: alice.apiKey })).status).toBe(200);
      expect((await api(server, "GET", "/api/me", { key: alice.apiKey })).status).toBe(200);
      expectRateLimited(await api(server, "GET", "/api/me", { key: alice.apiKey }), 60);
    } finally {
      controller.abort();
      await reader?.cancel().catch(() => undefined);
    }
  });

  it("keeps the key-guessing bounds: wrong secrets are 401 and then 429 with the seconds left, as before", async () => {
    server = await startTestServer();
    alice = await server.createName("alice", "alice@example.com");
    const wrong = `claw_${alice.apiKey.split("_")[1] ?? ""}_abcdefghijklmnopqrstuvwxyz012345`;
    for (let i = 0; i < 10; i++) expect((await api(server, "GET", "/api/me", { key: wrong })).status).toBe(401);
    expectRateLimited(await api(server, "GET", "/api/me", { key: wrong }), 60);
  });
});

describe("rate limits shared through Redis", () => {
  const redisUrl = process.env["CLAWTELL_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379";
  let redis: Redis | undefined;
  const prefix = `clawtell-test:${randomUUID()}:`;
  const servers: Array<{ app: FastifyInstance; storage: Storage; dataDir: string; url: string }> = [];

  beforeAll(async () => {
    const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1_000, retryStrategy: () => null });
    try {
      await client.connect();
      await client.ping();
      redis = client;
    } catch (err) {
      process.stdout.write(`skipping the Redis rate-limit test: Redis at ${redisUrl} is not reachable (${String(err)})\n`);
      client.disconnect();
    }
  });
  afterAll(async () => {
    for (const { app, storage, dataDir } of servers) {
      await app.close();
      await storage.close();
      await rm(dataDir, { recursive: true, force: true });
    }
    if (redis !== undefined) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  it("counts the requests of one address to two servers together", async (context) => {
    if (redis === undefined) return context.skip();
    for (let i = 0; i < 2; i++) {
      const dataDir = await mkdtemp(join(tmpdir(), "clawtell-rate-"));
      const storage = await openEmbeddedStorage({ dataDir });
      const app = await buildServer({
        storage,
        files: openFileStore(dataDir),
        options: { publicRateLimit: { max: 3, windowMs: 60_000 } },
        rateLimitStore: { redis, prefix },
      });
      servers.push({ app, storage, dataDir, url: await app.listen({ host: "127.0.0.1", port: 0 }) });
    }
    const [first, second] = servers;
    if (first === undefined || second === undefined) throw new Error("servers not started");
    expect((await api(first, "GET", "/health")).status).toBe(200);
    expect((await api(second, "GET", "/health")).status).toBe(200);
    expect((await api(first, "GET", "/health")).status).toBe(200);
    expectRateLimited(await api(second, "GET", "/health"), 60);
    expect(await redis.keys(`${prefix}public:*`)).toHaveLength(1);
  });
});
