// The private PostgreSQL stopped and started again while two server processes take sends and hand them out: while
// it is down every call that needs it answers 503 CT_UNAVAILABLE and /readyz answers 503; once it is back both
// processes serve again by themselves, and every send that got a 200 is received and acked.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerProcess } from "../../helpers/cli-process.js";
import { callPatiently as call, messagesIn, servicesOrSkip, startFleet, until, type Answer, type Fleet } from "./cluster.js";

const services = await servicesOrSkip("postgres-restart.test.ts");

describe.skipIf(services === undefined)("PostgreSQL restarted under load", () => {
  let fleet: Fleet;
  let aliceKey: string;
  let bobKey: string;

  beforeAll(async () => {
    if (services === undefined) return;
    const database = await services.database("restart");
    fleet = await startFleet({ database, redis: services.redis.url, count: 2, args: ["--visibility-timeout", "2"] });
    aliceKey = await fleet.name("alice");
    bobKey = await fleet.name("bob");
  });
  afterAll(async () => {
    try {
      await fleet?.close();
    } finally {
      await services?.dispose();
    }
  });

  const proc = (i: number): ServerProcess => fleet.processes[i % 2] as ServerProcess;
  const unavailable = (answer: Answer): boolean => answer.status === 503 && answer.body["code"] === "CT_UNAVAILABLE";

  it("answers 503 while the database is down and serves again by itself once it is back, losing nothing", { timeout: 90_000 }, async () => {
    if (services === undefined) return;
    const accepted = new Set<string>();
    const received = new Set<string>();
    const unexpected: string[] = [];
    let down = false;
    let refusedWhileDown = 0;
    let stop = false;

    const sender = async (): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const answer = await call(proc(i).url, "POST", "/api/messages/send", { key: aliceKey, body: { to: "bob", body: `load ${i}` } });
        if (answer.status === 200) accepted.add(String(answer.body["messageId"]));
        else if (unavailable(answer)) refusedWhileDown += down ? 1 : 0;
        else unexpected.push(`send: ${answer.status} ${JSON.stringify(answer.body)}`);
        // Not a busy loop while the database is down: one attempt per answer, each answered at once.
        if (answer.status !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const receiver = async (): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const answer = await call(proc(i + 1).url, "GET", "/api/messages/poll?timeout=1&limit=20", { key: bobKey });
        if (answer.status !== 200) {
          if (!unavailable(answer)) unexpected.push(`poll: ${answer.status} ${JSON.stringify(answer.body)}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
          continue;
        }
        const ids = messagesIn(answer).map((m) => m.id);
        if (ids.length === 0) continue;
        const acked = await call(proc(i).url, "POST", "/api/messages/ack", { key: bobKey, body: { messageIds: ids } });
        // An ack refused while the database is down leaves the messages unacked: they come again later.
        if (acked.status === 200) for (const id of ids) received.add(id);
        else if (!unavailable(acked)) unexpected.push(`ack: ${acked.status} ${JSON.stringify(acked.body)}`);
      }
    };

    const load = [sender(), receiver()];
    expect(await until(() => accepted.size >= 30)).toBe(true);
    await services.cluster.stop();
    down = true;
    for (const p of [proc(0), proc(1)]) {
      expect(await until(async () => unavailable(await call(p.url, "POST", "/api/messages/send", { key: aliceKey, body: { to: "bob", body: "while down" } })))).toBe(true);
      const ready = await call(p.url, "GET", "/readyz");
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ code: "CT_UNAVAILABLE", ready: false });
    }
    expect(await until(() => refusedWhileDown >= 5)).toBe(true);
    const acceptedBeforeRestart = accepted.size;

    await services.cluster.start();
    down = false;
    for (const p of [proc(0), proc(1)]) expect(await until(async () => (await call(p.url, "GET", "/readyz")).status === 200, 30_000)).toBe(true);
    expect(await until(() => accepted.size >= acceptedBeforeRestart + 30)).toBe(true);
    const allAccepted = new Set(accepted);
    // An ack whose answer was lost with the database (a 503) may still have been committed: the store has the word.
    const done = async (id: string): Promise<boolean> => received.has(id) || ((await fleet.admin.messages.find(id).catch(() => undefined))?.ackedAt ?? null) !== null;
    const allDone = async (): Promise<boolean> => {
      for (const id of allAccepted) if (!(await done(id))) return false;
      return true;
    };
    expect(await until(allDone, 30_000)).toBe(true);
    stop = true;
    await Promise.all(load);

    expect(unexpected).toEqual([]);
    for (const id of allAccepted) expect((await fleet.admin.messages.find(id))?.ackedAt, id).not.toBeNull();
    // The processes were never restarted.
    expect([proc(0).child.exitCode, proc(1).child.exitCode]).toEqual([null, null]);
  });
});
