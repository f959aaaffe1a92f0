// Three `clawtell server --database` processes on one PostgreSQL, with wake-ups through Redis and through
// LISTEN/NOTIFY: a send through one reaches a long poll or an open stream parked on another, a stream resumes on
// another process with Last-Event-ID, acks answer the same on every process, per-recipient order holds across
// processes, and with Redis one rate limit counts for all processes (without it, each process counts its own).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../../src/server/index.js";
import type { ServerProcess } from "../../helpers/cli-process.js";
import { TEST_MASTER_KEY } from "../../helpers/master-key.js";
import { call, messagesIn, openStream, servicesOrSkip, startFleet, until, waitForParked, type Fleet } from "./cluster.js";

const services = await servicesOrSkip("cross-process.test.ts");

describe.skipIf(services === undefined)("server processes on one database", () => {
  afterAll(async () => {
    await services?.dispose();
  });

  for (const mode of ["redis", "listen-notify"] as const) {
    describe(`wake-ups through ${mode}`, () => {
      let fleet: Fleet;
      let database: string;
      let aliceKey: string;
      let bobKey: string;
      const p = (i: number): ServerProcess => fleet.processes[i % fleet.processes.length] as ServerProcess;

      beforeAll(async () => {
        if (services === undefined) return;
        database = await services.database(mode.replace("-", "_"));
        fleet = await startFleet({ database, ...(mode === "redis" ? { redis: services.redis.url } : {}), count: 3, args: ["--visibility-timeout", "2"] });
        aliceKey = await fleet.name("alice");
        bobKey = await fleet.name("bob");
      });
      afterAll(async () => {
        await fleet?.close();
      });

      const send = async (via: ServerProcess, body: string): Promise<string> => {
        const sent = await call(via.url, "POST", "/api/messages/send", { key: aliceKey, body: { to: "bob", body } });
        expect(sent.status, JSON.stringify(sent.body)).toBe(200);
        return String(sent.body["messageId"]);
      };
      const ack = (via: ServerProcess, ids: string[]) => call(via.url, "POST", "/api/messages/ack", { key: bobKey, body: { messageIds: ids } });
      /**
       * Until no process holds a parked long poll or stream of an earlier test: a stream the client closed may still
       * take a message (and hold its lease) until its process has seen the connection go.
       */
      beforeEach(async () => {
        for (const server of fleet?.processes ?? []) expect(await waitForParked(server, 0)).toBe(0);
      });

      it("wakes a long poll parked on another process, for every pair of the three", async () => {
        for (const [from, to] of [[0, 1], [1, 2], [2, 0], [1, 0]] as const) {
          expect(await waitForParked(p(to), 0)).toBe(0);
          const poll = call(p(to).url, "GET", "/api/messages/poll?timeout=30", { key: bobKey });
          expect(await waitForParked(p(to), 1)).toBe(1);
          const id = await send(p(from), `long poll ${from} to ${to}`);
          const answer = await poll;
          expect(answer.status).toBe(200);
          expect(messagesIn(answer).map((m) => [m.id, m.body])).toEqual([[id, `long poll ${from} to ${to}`]]);
          expect((await ack(p(from), [id])).body).toMatchObject({ acked: 1 });
        }
      });

      it("delivers sends through two other processes on a stream that stays open", async () => {
        const stream = await openStream(p(1).url, bobKey, { query: "timeout=120" });
        try {
          expect(stream.status).toBe(200);
          expect(await waitForParked(p(1), 1)).toBe(1);
          const first = await send(p(0), "stream from 0");
          expect((await stream.nextMessages(1)).map((e) => e.id)).toEqual([first]);
          expect(await waitForParked(p(1), 1)).toBe(1);
          const second = await send(p(2), "stream from 2");
          expect((await stream.nextMessages(2)).map((e) => e.id)).toEqual([first, second]);
          expect(stream.ended()).toBe(false);
          expect((await ack(p(2), [first, second])).body).toMatchObject({ acked: 2 });
        } finally {
          await stream.close();
        }
      });

      it("resumes a stream on another process with Last-Event-ID: nothing lost, nothing acked again", async () => {
        const ids: string[] = [];
        for (let i = 0; i < 6; i++) ids.push(await send(p(i), `resume ${i}`));
        const onA = await openStream(p(0).url, bobKey, { query: "timeout=120" });
        let seen: string[];
        try {
          seen = (await onA.nextMessages(6)).map((e) => e.id ?? "");
          expect(seen).toEqual(ids);
        } finally {
          await onA.close();
        }
        // The client handled four of them and acked three before its connection dropped.
        expect((await ack(p(0), ids.slice(0, 3))).body).toMatchObject({ acked: 3 });
        const onB = await openStream(p(1).url, bobKey, { query: "timeout=120", lastEventId: ids[3] ?? "" });
        try {
          // The fourth, handled but not acked, may come again too, once its lease from the first stream has ended.
          const handled = ids[3] ?? "";
          const others = (): string[] => onB.messages().map((e) => e.id ?? "").filter((id) => id !== handled);
          expect(await until(() => others().length >= 2)).toBe(true);
          expect(others()).toEqual(ids.slice(4));
          // One sent meanwhile through the third process comes on the resumed stream too.
          const later = await send(p(2), "resume later");
          expect(await until(() => others().length >= 3)).toBe(true);
          const all = onB.messages().map((e) => e.id ?? "");
          expect(others()).toEqual([...ids.slice(4), later]);
          for (const acked of ids.slice(0, 3)) expect(all).not.toContain(acked);
          expect((await ack(p(1), [handled, ...ids.slice(4), later])).body).toMatchObject({ acked: 4 });
        } finally {
          await onB.close();
        }
        expect(messagesIn(await call(p(2).url, "GET", "/api/messages/poll?timeout=0", { key: bobKey }))).toEqual([]);
      });

      it("answers an ack made again through another process as the first time", async () => {
        const id = await send(p(0), "ack twice");
        const polled = await call(p(1).url, "GET", "/api/messages/poll?timeout=0", { key: bobKey });
        expect(messagesIn(polled).map((m) => m.id)).toEqual([id]);
        const first = await ack(p(1), [id]);
        const again = await ack(p(2), [id]);
        expect(first).toEqual({ status: 200, body: { success: true, acked: 1 } });
        expect(again).toEqual(first);
        const v1First = await call(p(0).url, "POST", "/v1/ack", { key: bobKey, body: { messageIds: [id] } });
        const v1Again = await call(p(2).url, "POST", "/v1/ack", { key: bobKey, body: { messageIds: [id] } });
        expect(v1First.status).toBe(200);
        expect(v1Again).toEqual(v1First);
        expect((await fleet.admin.messages.find(id))?.ackedAt).not.toBeNull();
        expect(messagesIn(await call(p(0).url, "GET", "/api/messages/poll?timeout=0", { key: bobKey }))).toEqual([]);
      });

      it("hands out many sends through alternating processes in the order they were sent", async () => {
        const sent: string[] = [];
        for (let i = 0; i < 60; i++) sent.push(await send(p(i), `order ${i}`));
        const received: string[] = [];
        for (let round = 0; received.length < sent.length && round < 60; round++) {
          const answer = await call(p(round + 1).url, "GET", "/api/messages/poll?timeout=0&limit=7", { key: bobKey });
          const batch = messagesIn(answer);
          received.push(...batch.map((m) => m.id));
          if (batch.length > 0) expect((await ack(p(round + 2), batch.map((m) => m.id))).status).toBe(200);
        }
        expect(received).toEqual(sent);
      });

      it.runIf(mode === "redis")("counts one rate limit across servers that share Redis", async () => {
        if (services === undefined) return;
        const limit = { max: 5, windowMs: 60_000 };
        // A key that has made no request yet: the counters are shared with the processes above too.
        const carolKey = await fleet.name("carol");
        const servers: RunningServer[] = [];
        try {
          for (let i = 0; i < 2; i++) servers.push(await startServer({ port: 0, database, redis: services.redis.url, options: { keyRateLimit: limit }, encryption: { masterKey: TEST_MASTER_KEY } }));
          const [one, two] = servers as [RunningServer, RunningServer];
          const statuses: number[] = [];
          for (let i = 0; i < limit.max; i++) statuses.push((await call((i % 2 === 0 ? one : two).url, "GET", "/api/me", { key: carolKey })).status);
          expect(statuses).toEqual(Array.from({ length: limit.max }, () => 200));
          const over = [await call(one.url, "GET", "/api/me", { key: carolKey }), await call(two.url, "GET", "/api/me", { key: carolKey })];
          expect(over.map((a) => [a.status, (a.body["error"] as { code?: string } | undefined)?.code ?? a.body["code"]])).toEqual([
            [429, "CT_RATE_LIMITED"],
            [429, "CT_RATE_LIMITED"],
          ]);
          // Another key (fresh as well) has its own count.
          const daveKey = await fleet.name("dave");
          expect((await call(two.url, "GET", "/api/me", { key: daveKey })).status).toBe(200);
        } finally {
          await Promise.all(servers.map((s) => s.close()));
        }
      });

      it.runIf(mode === "listen-notify")("counts rate limits per process without Redis", async () => {
        const limit = { max: 3, windowMs: 60_000 };
        const carolKey = await fleet.name("carol");
        const servers: RunningServer[] = [];
        try {
          for (let i = 0; i < 2; i++) servers.push(await startServer({ port: 0, database, options: { keyRateLimit: limit }, encryption: { masterKey: TEST_MASTER_KEY } }));
          const [one, two] = servers as [RunningServer, RunningServer];
          const statuses: number[] = [];
          for (const server of [one, two]) for (let i = 0; i < limit.max; i++) statuses.push((await call(server.url, "GET", "/api/me", { key: carolKey })).status);
          expect(statuses).toEqual(Array.from({ length: 2 * limit.max }, () => 200));
          expect((await call(one.url, "GET", "/api/me", { key: carolKey })).status).toBe(429);
        } finally {
          await Promise.all(servers.map((s) => s.close()));
        }
      });
    });
  }
});
