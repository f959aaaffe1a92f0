// A server process SIGKILLed while messages flow: senders and receivers (long polls and streams) are spread over
// three processes on one database; one process is killed by its PID mid-flow and its clients go on through another.
// Every send that got a 200 is received and acked, and stored exactly once; no message is handed out again while a
// live lease covers it (a hand-out may repeat only after the visibility timeout or once its process has died).
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerProcess } from "../../helpers/cli-process.js";
import { callPatiently, killByPid, messagesIn, openStream, servicesOrSkip, startFleet, until, type Fleet } from "./cluster.js";
import { createSealer, messageContext, openKeyring } from "../../../src/server/crypto/index.js";
import { TEST_MASTER_KEY } from "../../helpers/master-key.js";

const services = await servicesOrSkip("process-kill.test.ts");

const VISIBILITY_TIMEOUT_S = 2;
const SENDS_PER_SENDER = 60;
const RECIPIENTS = ["bob", "eve", "dave"] as const;
type Recipient = (typeof RECIPIENTS)[number];

/** One message handed to a receiver: by which process, and from when its lease can have run at the earliest. */
interface HandOut {
  id: string;
  process: number;
  /** When the request (long poll) or connection (stream) that carried it began: its lease began no earlier. */
  leaseFrom: number;
  at: number;
}

describe.skipIf(services === undefined)("a server process killed while messages flow", () => {
  let fleet: Fleet;
  let database: string;
  const keys = new Map<string, string>();
  const killedAt = new Map<number, number>();

  beforeAll(async () => {
    if (services === undefined) return;
    database = await services.database("kill");
    fleet = await startFleet({ database, redis: services.redis.url, count: 3, args: ["--visibility-timeout", String(VISIBILITY_TIMEOUT_S)] });
    for (const name of ["alice", "carol", "frank", ...RECIPIENTS]) keys.set(name, await fleet.name(name));
  });
  afterAll(async () => {
    try {
      await fleet?.close();
    } finally {
      await services?.dispose();
    }
  });

  const key = (name: string): string => keys.get(name) ?? "";
  const proc = (i: number): ServerProcess => fleet.processes[i] as ServerProcess;
  /** The next process after `i` that this test has not killed (a client learns it by its connection failing). */
  const failOver = (i: number): number => {
    for (let step = 1; step <= 3; step++) if (!killedAt.has((i + step) % 3)) return (i + step) % 3;
    throw new Error("no process left");
  };

  it("delivers every send that got a 200 exactly once, and hands nothing out twice under a live lease", { timeout: 90_000 }, async () => {
    const accepted = new Map<Recipient, Set<string>>(RECIPIENTS.map((r) => [r, new Set<string>()]));
    const handOuts: HandOut[] = [];
    const received = new Map<Recipient, Set<string>>(RECIPIENTS.map((r) => [r, new Set<string>()]));
    let acceptedCount = 0;
    let stop = false;

    /** Acks through the receiver's process, failing over until one answers. */
    const ackAll = async (recipient: Recipient, ids: string[], via: { at: number }): Promise<void> => {
      for (;;) {
        const answer = await callPatiently(proc(via.at).url, "POST", "/api/messages/ack", { key: key(recipient), body: { messageIds: ids } });
        if (answer.status === 200) return;
        expect(answer.status, JSON.stringify(answer.body)).toBe(0);
        via.at = failOver(via.at);
      }
    };
    const took = (recipient: Recipient, id: string, at: number, leaseFrom: number): void => {
      handOuts.push({ id, process: at, leaseFrom, at: Date.now() });
      received.get(recipient)?.add(id);
    };

    const sender = async (name: string, home: number): Promise<void> => {
      let at = home;
      for (let i = 0; i < SENDS_PER_SENDER; i++) {
        const to = RECIPIENTS[i % RECIPIENTS.length] as Recipient;
        const answer = await callPatiently(proc(at).url, "POST", "/api/messages/send", { key: key(name), body: { to, body: `${name} ${i}` } });
        if (answer.status === 200) {
          accepted.get(to)?.add(String(answer.body["messageId"]));
          acceptedCount++;
        } else {
          // The process died under this send: its outcome is unknown, and it is not sent again.
          expect(answer.status, JSON.stringify(answer.body)).toBe(0);
          at = failOver(at);
        }
      }
    };

    const pollReceiver = async (recipient: Recipient, home: number): Promise<void> => {
      const via = { at: home };
      while (!stop) {
        const at = via.at;
        const leaseFrom = Date.now();
        const answer = await callPatiently(proc(at).url, "GET", "/api/messages/poll?timeout=1&limit=20", { key: key(recipient) });
        if (answer.status !== 200) {
          expect(answer.status, JSON.stringify(answer.body)).toBe(0);
          via.at = failOver(at);
          continue;
        }
        const batch = messagesIn(answer);
        for (const m of batch) took(recipient, m.id, at, leaseFrom);
        if (batch.length > 0) await ackAll(recipient, batch.map((m) => m.id), via);
      }
    };

    const streamReceiver = async (recipient: Recipient, home: number): Promise<void> => {
      const via = { at: home };
      let lastEventId: string | undefined;
      while (!stop) {
        const at = via.at;
        const leaseFrom = Date.now();
        const stream = await openStream(proc(at).url, key(recipient), {
          query: "timeout=30&limit=100",
          ...(lastEventId === undefined ? {} : { lastEventId }),
        }).catch(() => undefined);
        if (stream === undefined) {
          via.at = failOver(at);
          continue;
        }
        if (stream.status === 429) {
          await stream.close();
          await new Promise((resolve) => setTimeout(resolve, 1000));
          continue;
        }
        expect(stream.status).toBe(200);
        try {
          let handled = 0;
          while (!stop) {
            const events = await stream.nextMessages(handled + 1, 500);
            for (const event of events.slice(handled)) {
              took(recipient, event.id ?? "", at, leaseFrom);
              await ackAll(recipient, [event.id ?? ""], via);
              lastEventId = event.id;
            }
            handled = events.length;
            if (stream.ended() && stream.messages().length === handled) break;
          }
        } finally {
          await stream.close();
        }
        if (killedAt.has(at)) via.at = failOver(at);
      }
    };

    // Process 1 is the one killed: a sender, a long poll and a stream start on it.
    const receivers = [pollReceiver("bob", 1), streamReceiver("eve", 1), streamReceiver("dave", 0), pollReceiver("dave", 2)];
    const senders = [sender("alice", 0), sender("carol", 1), sender("frank", 2)];
    expect(await until(() => acceptedCount >= SENDS_PER_SENDER, 30_000)).toBe(true);
    await killByPid(proc(1));
    killedAt.set(1, Date.now());
    await Promise.all(senders);

    const allIn = (): boolean => RECIPIENTS.every((r) => [...(accepted.get(r) ?? [])].every((id) => received.get(r)?.has(id)));
    expect(await until(allIn, 45_000)).toBe(true);
    stop = true;
    await Promise.all(receivers);

    // Every accepted send: stored once, and acked.
    const ids = RECIPIENTS.flatMap((r) => [...(accepted.get(r) ?? [])]);
    expect(ids.length).toBeGreaterThan(SENDS_PER_SENDER);
    for (const id of ids) expect((await fleet.admin.messages.find(id))?.ackedAt, id).not.toBeNull();
    const client = new pg.Client({ connectionString: database });
    await client.connect();
    try {
      // Bodies are sealed (each under its own nonce): they are opened before they are compared.
      const sealer = createSealer(openKeyring({ value: TEST_MASTER_KEY }));
      const rows = await client.query<{ id: string; subject: string; body: string }>("SELECT id, subject, body FROM messages");
      const bodies = rows.rows.map((row) => sealer.openPair(row.subject, row.body, messageContext(row.id)).body);
      expect(bodies.filter((body, i) => bodies.indexOf(body) !== i)).toEqual([]);
    } finally {
      await client.end();
    }

    // A hand-out repeats only after the lease of the one before could have ended: its visibility timeout passed, or
    // its process died.
    const byId = new Map<string, HandOut[]>();
    for (const h of handOuts) byId.set(h.id, [...(byId.get(h.id) ?? []), h]);
    const underLiveLease: string[] = [];
    for (const [id, list] of byId) {
      for (let i = 1; i < list.length; i++) {
        const before = list[i - 1] as HandOut;
        const again = list[i] as HandOut;
        const leaseOver = again.at >= before.leaseFrom + VISIBILITY_TIMEOUT_S * 1000;
        const died = (killedAt.get(before.process) ?? Infinity) <= again.at;
        if (!leaseOver && !died) underLiveLease.push(`${id}: process ${before.process} then ${again.process} after ${again.at - before.leaseFrom} ms`);
      }
    }
    expect(underLiveLease).toEqual([]);
  });
});
