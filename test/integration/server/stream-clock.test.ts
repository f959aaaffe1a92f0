// Streams and long polls wait through the server's injected clock: keepalives, the stream's end and a poll's timeout
// come when the test moves its manual clock, never by real time. Every listener and timer a request takes is given
// back when it ends.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createParser } from "eventsource-parser";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManualClock } from "../../../src/infra/index.js";
import { DASHBOARD_EVENTS_PATH } from "../../../src/protocol/index.js";
import { whileConnected } from "../../../src/server/routes/messages.js";
import { newToken, tokenHash } from "../../../src/server/secret-tokens.js";
import { SESSION_COOKIE } from "../../../src/server/session-cookie.js";
import { buildServer, createName, openEmbeddedStorage, openFileStore, type CreatedName, type Storage } from "../../../src/server/index.js";
import { api, TEST_BCRYPT_COST } from "../../helpers/test-server.js";

/** Far longer than any test runs: a keepalive or a timeout can only come from the manual clock. */
const KEEPALIVE_MS = 10 * 60 * 1000;

interface OpenStream {
  readonly events: string[];
  readonly comments: string[];
  ended: boolean;
  /** Resolves once `done` holds (checked as data arrives); rejects if the stream ends first. */
  until(done: () => boolean): Promise<void>;
  close(): void;
}

async function openStream(url: string, headers: Record<string, string>): Promise<OpenStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  if (response.body === null) throw new Error("no body");
  const checks = new Set<() => void>();
  const stream: OpenStream = {
    events: [],
    comments: [],
    ended: false,
    until: (done) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (done()) {
            checks.delete(check);
            resolve();
          } else if (stream.ended) {
            checks.delete(check);
            reject(new Error(`the stream ended first: ${JSON.stringify(stream.events)}`));
          }
        };
        checks.add(check);
        check();
      }),
    close: () => controller.abort(),
  };
  const parser = createParser({ onEvent: (e) => stream.events.push(e.event ?? "message"), onComment: (c) => stream.comments.push(c.trim()) });
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(chunk, { stream: true }));
        for (const check of [...checks]) check();
      }
    } catch {
      // aborted by close()
    } finally {
      stream.ended = true;
      for (const check of [...checks]) check();
    }
  })().then(
    () => undefined,
    () => undefined,
  );
  return stream;
}

describe("streams and long polls on the injected clock", () => {
  let dir: string;
  let storage: Storage;
  let app: FastifyInstance;
  let server: { url: string };
  let bob: CreatedName;
  const clock = createManualClock(Date.UTC(2026, 0, 1));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-stream-clock-"));
    storage = await openEmbeddedStorage({ dataDir: dir });
    app = await buildServer({ storage, files: openFileStore(dir), clock, options: { keepaliveMs: KEEPALIVE_MS } });
    server = { url: await app.listen({ host: "127.0.0.1", port: 0 }) };
    bob = await createName(storage.directory, { name: "bob", email: "b@example.com" }, { bcryptCost: TEST_BCRYPT_COST, clock });
  });
  afterEach(async () => {
    await app.close();
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Until `n` long polls or streams are parked in the server (bounded: at most 400 looks). */
  const parked = async (n: number): Promise<void> => {
    let waiting = -1;
    for (let i = 0; i < 400 && waiting !== n; i++) {
      waiting = Number((await api(server, "GET", "/health")).body["waiting"]);
      if (waiting !== n) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(waiting).toBe(n);
  };

  it("/v1/stream: keepalives and the timeout come as the clock moves, and nothing stays parked after", async () => {
    const stream = await openStream(`${server.url}/v1/stream?timeout=1500`, { authorization: `Bearer ${bob.apiKey}` });
    try {
      await stream.until(() => stream.events.includes("connected"));
      await parked(1);
      expect(stream.comments).toEqual([]);
      await clock.advance(KEEPALIVE_MS);
      await stream.until(() => stream.comments.length === 1);
      await clock.advance(KEEPALIVE_MS);
      await stream.until(() => stream.comments.length === 2);
      expect(stream.comments).toEqual(["keepalive", "keepalive"]);
      await clock.advance(5 * 60 * 1000);
      await stream.until(() => stream.events.includes("timeout"));
      await stream.until(() => stream.ended);
      await parked(0);
      expect(stream.comments).toEqual(["keepalive", "keepalive"]);
    } finally {
      stream.close();
    }
  });

  it("/api/dashboard/events: keepalives and the timeout come as the clock moves", async () => {
    const token = newToken();
    await storage.sessions.insertSession({ tokenHash: tokenHash(token), accountId: bob.accountId, createdAt: clock.now(), expiresAt: clock.now() + 24 * 3600 * 1000, ip: null });
    const stream = await openStream(`${server.url}${DASHBOARD_EVENTS_PATH}?timeout=1500`, { cookie: `${SESSION_COOKIE}=${token}` });
    try {
      await stream.until(() => stream.events.includes("connected"));
      await parked(1);
      await clock.advance(KEEPALIVE_MS);
      await stream.until(() => stream.comments.length === 1);
      await clock.advance(KEEPALIVE_MS);
      await stream.until(() => stream.comments.length === 2);
      await clock.advance(5 * 60 * 1000);
      await stream.until(() => stream.ended);
      expect(stream.events).toEqual(["connected", "timeout"]);
      expect(stream.comments).toEqual(["keepalive", "keepalive"]);
      await parked(0);
    } finally {
      stream.close();
    }
  });

  it("a long poll times out when the clock passes its wait", async () => {
    const answer = api(server, "GET", "/api/messages/poll?timeout=30", { key: bob.apiKey });
    await parked(1);
    await clock.advance(30_000);
    const polled = await answer;
    expect(polled.status).toBe(200);
    expect(polled.body["messages"]).toEqual([]);
    await parked(0);
  });
});

describe("whileConnected", () => {
  let app: FastifyInstance;
  afterEach(async () => app.close());

  it("removes its close listener when the work ends, also when the work fails", async () => {
    app = Fastify();
    app.get("/count", async (_request, reply) => {
      const before = reply.raw.listenerCount("close");
      const during = await whileConnected(reply, async () => reply.raw.listenerCount("close"));
      await whileConnected(reply, async () => {
        throw new Error("work failed");
      }).catch(() => undefined);
      return { before, during, after: reply.raw.listenerCount("close") };
    });
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    const counts = (await (await fetch(`${url}/count`)).json()) as { before: number; during: number; after: number };
    expect(counts.during).toBe(counts.before + 1);
    expect(counts.after).toBe(counts.before);
  });
});
