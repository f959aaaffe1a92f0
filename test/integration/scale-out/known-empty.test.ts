// Two `clawtell server --database` processes, wake-ups through Redis and through LISTEN/NOTIFY: a poll of a name that
// a query found empty parks without querying, and still nothing is lost — a send through A while a poll on B is
// between its query and its wait (or parks on the name remembered empty) reaches it, a message whose lease ends is
// handed out again, and an approved message reaches a poll parked on the other process.
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ServerProcess } from "../../helpers/cli-process.js";
import { call, messagesIn, servicesOrSkip, startFleet, waitForParked, type Answer, type Fleet } from "./cluster.js";

const services = await servicesOrSkip("known-empty.test.ts");

/** Races per mode; each is a send through A against a poll opening on B. */
const RACES = 40;

describe.skipIf(services === undefined)("polls of a name known empty, on two processes", () => {
  afterAll(async () => {
    await services?.dispose();
  });

  for (const mode of ["redis", "listen-notify"] as const) {
    describe(`wake-ups through ${mode}`, () => {
      let fleet: Fleet;
      let aliceKey: string;
      let bobKey: string;
      const a = (): ServerProcess => fleet.processes[0] as ServerProcess;
      const b = (): ServerProcess => fleet.processes[1] as ServerProcess;

      beforeAll(async () => {
        if (services === undefined) return;
        const database = await services.database(`empty_${mode.replace("-", "_")}`);
        fleet = await startFleet({ database, ...(mode === "redis" ? { redis: services.redis.url } : {}), count: 2, args: ["--visibility-timeout", "2"] });
        aliceKey = await fleet.name("alice");
        bobKey = await fleet.name("bob");
      });
      afterAll(async () => {
        await fleet?.close();
      });
      beforeEach(async () => {
        for (const server of fleet?.processes ?? []) expect(await waitForParked(server, 0)).toBe(0);
      });

      const send = async (via: ServerProcess, body: string): Promise<string> => {
        const sent = await call(via.url, "POST", "/api/messages/send", { key: aliceKey, body: { to: "bob", body } });
        expect(sent.status, JSON.stringify(sent.body)).toBe(200);
        return String(sent.body["messageId"]);
      };
      const poll = (via: ServerProcess, timeout = 30): Promise<Answer> => call(via.url, "GET", `/api/messages/poll?timeout=${timeout}`, { key: bobKey });
      const ack = (ids: string[]) => call(a().url, "POST", "/api/messages/ack", { key: bobKey, body: { messageIds: ids } });

      /** A long poll on B that parks (B's query found bob empty and remembered it), then is given up by its client. */
      const parkAndLeave = async (): Promise<void> => {
        const controller = new AbortController();
        const leaving = request(`${b().url}/api/messages/poll?timeout=30`, { headers: { authorization: `Bearer ${bobKey}` }, signal: controller.signal }).then(
          () => undefined,
          () => undefined,
        );
        expect(await waitForParked(b(), 1)).toBe(1);
        controller.abort();
        await leaving;
        expect(await waitForParked(b(), 0)).toBe(0);
      };

      it(`loses no send through A that races a poll opening on B (${RACES} races, half of them on bob remembered empty)`, { timeout: 240_000 }, async () => {
        let received = 0;
        for (let i = 0; i < RACES; i++) {
          // Even races: B remembers bob empty, so the poll parks without a query. Odd ones: the previous send made B
          // forget it, so the poll queries, and the send lands before, during or after that query.
          if (i % 2 === 0) await parkAndLeave();
          const offset = i % 5;
          const polled = poll(b());
          if (offset > 0) await new Promise((resolve) => setTimeout(resolve, offset));
          const id = await send(a(), `race ${i}`);
          // A lost wake-up leaves this poll parked until its timeout, and it answers nothing.
          const answer = await polled;
          expect(answer.status).toBe(200);
          expect(messagesIn(answer).map((m) => m.id)).toEqual([id]);
          expect((await ack([id])).body).toMatchObject({ acked: 1 });
          received++;
        }
        expect(received).toBe(RACES);
      });

      it("hands out again, on either process, a message whose lease ended unacked", { timeout: 60_000 }, async () => {
        await parkAndLeave();
        const id = await send(a(), "not acked the first time");
        expect(messagesIn(await poll(b())).map((m) => m.id)).toEqual([id]);
        // Leased for 2 s and never acked: the next polls wait for the lease to end, they are not parked as empty.
        expect(messagesIn(await poll(b())).map((m) => m.id)).toEqual([id]);
        expect(messagesIn(await poll(a())).map((m) => m.id)).toEqual([id]);
        expect((await ack([id])).body).toMatchObject({ acked: 1 });
      });

      it("delivers a message approved through A to a poll parked on B on bob remembered empty", { timeout: 60_000 }, async () => {
        const policy = await call(a().url, "PATCH", "/api/names/bob", { key: bobKey, body: { delivery_policy: "approval_required" } });
        expect(policy.status, JSON.stringify(policy.body)).toBe(200);
        try {
          await parkAndLeave();
          const held = await call(a().url, "POST", "/api/messages/send", { key: aliceKey, body: { to: "bob", body: "held for approval" } });
          expect(held.status, JSON.stringify(held.body)).toBe(202);
          const polled = poll(b());
          expect(await waitForParked(b(), 1)).toBe(1);
          const approved = await call(a().url, "POST", `/api/approvals/${String(held.body["approvalId"])}/approve`, { key: bobKey });
          expect(approved.status, JSON.stringify(approved.body)).toBe(200);
          const answer = await polled;
          expect(messagesIn(answer).map((m) => [m.id, m.body])).toEqual([[held.body["receiptId"], "held for approval"]]);
          expect((await ack([String(held.body["receiptId"])])).body).toMatchObject({ acked: 1 });
        } finally {
          await call(a().url, "PATCH", "/api/names/bob", { key: bobKey, body: { delivery_policy: "everyone" } });
        }
      });
    });
  }
});
