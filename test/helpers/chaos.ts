// Kills the standalone daemon with SIGKILL at random moments while messages flow, then checks that nothing was lost,
// that nothing waited out a lease the killed run held, that no message overtook an earlier one, and that no attempt
// number was handed over twice. Kill moments are chosen by progress (counts), never by how fast the machine is.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClawTellClient } from "../../src/client/index.js";
import { openQueueStore, queueFileOf } from "../../src/daemon/index.js";
import { createSilentLogger } from "../../src/infra/index.js";
import { CLI_PATH, cliEnv } from "./cli-process.js";
import { startTestServer } from "./test-server.js";
import { startWebhookRecorder } from "./webhook-recorder.js";

export interface ChaosResult {
  cycles: number;
  sent: number;
  delivered: number;
  /** Accepted by the server, yet neither delivered, nor waiting in the local queue, nor a dead letter. */
  lost: string[];
  /** Still waiting in the local queue when the run gave up waiting (not lost: a later run delivers them). */
  pending: string[];
  /** Dead letters, with the error that put each there. */
  dead: Array<{ id: string; code: string; attempts: number }>;
  duplicateDeliveries: number;
  unackedOnServer: number;
  /** The longest time from a send to its first delivery (ms): a message a killed run held must not wait it out. */
  worstDelayMs: number;
  /** Messages first delivered more than `STALL_BOUND_MS` after they were sent, or not at all. */
  late: Array<{ id: string; delayMs: number }>;
  /**
   * Messages whose first delivery came after that of a message sent later, or never came while a later one did (one
   * sender, one route: order is send order).
   */
  overtaken: string[];
  /** Deliveries that repeated an earlier (deliveryId, attempt) pair: an attempt cut short by a kill must count. */
  repeatedAttempts: string[];
}

/** How late a first delivery may be after its send (generous: a busy machine starts the daemon slowly). */
export const STALL_BOUND_MS = 20_000;

function startDaemon(configPath: string, stateDir: string): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(process.execPath, [CLI_PATH, "daemon", "--config", configPath, "--state-dir", stateDir], {
    stdio: ["ignore", "ignore", "ignore"],
    env: cliEnv({ CLAWTELL_LOG_LEVEL: "silent" }),
  });
  return { child, exited: new Promise((resolve) => child.once("exit", () => resolve())) };
}

/** Waits until `count()` reaches `target`, or stops growing for `quietMs` (at most `capMs` in all). */
async function waitForProgressToEnd(count: () => Promise<number>, target: number, quietMs = 15_000, capMs = 300_000): Promise<void> {
  const started = Date.now();
  let last = -1;
  let lastChangeAt = Date.now();
  for (let now = await count(); now < target && Date.now() - lastChangeAt < quietMs && Date.now() - started < capMs; now = await count()) {
    if (now !== last) {
      last = now;
      lastChangeAt = Date.now();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until `done()`, checking every 20 ms, at most `capMs` (a bound for a broken build, not a speed assumption). */
async function waitUntil(done: () => boolean, capMs: number): Promise<void> {
  const started = Date.now();
  while (!done() && Date.now() - started < capMs) await new Promise((r) => setTimeout(r, 20));
}

export async function runChaos(cycles: number, options: { random?: () => number; messagesPerCycle?: number } = {}): Promise<ChaosResult> {
  const random = options.random ?? Math.random;
  const perCycle = options.messagesPerCycle ?? 3;
  const server = await startTestServer();
  const hook = await startWebhookRecorder();
  const dir = await mkdtemp(join(tmpdir(), "clawtell-chaos-"));
  try {
    const alice = await server.createName("alice", "a@example.com");
    const bob = await server.createName("bob", "b@example.com");
    const configPath = join(dir, "openclaw.json");
    const stateDir = join(dir, "state");
    await writeFile(
      configPath,
      JSON.stringify({
        channels: {
          clawtell: {
            name: "bob",
            apiKey: bob.apiKey,
            baseUrl: server.url,
            queue: { backoffBaseMs: 20, backoffCapMs: 100 },
            routing: { bob: { webhook: { url: hook.url }, forward: false } },
          },
        },
      }),
    );
    const sender = createClawTellClient({ baseUrl: server.url, apiKey: alice.apiKey });
    const sent: string[] = [];
    const sentAt = new Map<string, number>();
    const sendOne = async (): Promise<void> => {
      const result = await sender.send({ to: "bob", body: `chaos ${sent.length}` });
      if (result.messageId === undefined) return;
      sent.push(result.messageId);
      sentAt.set(result.messageId, Date.now());
    };
    const firstDelivery = new Map<string, number>();
    const deliveredCount = (): number => {
      for (const d of hook.deliveries) {
        const id = String(d.body["id"]);
        if (!firstDelivery.has(id)) firstDelivery.set(id, d.at);
      }
      return firstDelivery.size;
    };
    const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    for (let cycle = 0; cycle < cycles; cycle++) {
      const daemon = startDaemon(configPath, stateDir);
      if (random() < 1 / 3) {
        // While it starts, connects, takes in what waits: kill at a random moment of that.
        for (let i = 0; i < perCycle; i++) await sendOne();
        await pause(Math.floor(random() * 300));
      } else {
        // Once it delivers (everything sent so far, in order), send more and kill as they arrive: some are on the
        // wire, some taken in but not acked, one is being handed to the webhook.
        await sendOne();
        const newest = sent.at(-1);
        await waitUntil(() => {
          deliveredCount();
          return newest === undefined || firstDelivery.has(newest);
        }, 30_000);
        for (let i = 1; i < perCycle; i++) await sendOne();
        await pause(Math.floor(random() * 20));
      }
      daemon.child.kill("SIGKILL");
      await daemon.exited;
    }
    const final = startDaemon(configPath, stateDir);
    const deliveredIds = (): Set<string> => new Set(hook.deliveries.map((d) => String(d.body["id"])));
    // Read from the storage, not by polling: a poll would hand the messages out and hide them from the daemon.
    const bobId = (await server.storage.directory.findNameByName("bob"))?.id ?? -1;
    const unacked = async (): Promise<number> => (await server.storage.messages.listUnacked([bobId], sent.length + 1)).length;
    let unackedOnServer: number;
    try {
      // Deliveries from the local queue can finish before the redelivered copies are acked: wait for both.
      await waitForProgressToEnd(async () => deliveredIds().size + (sent.length - (await unacked())), 2 * sent.length);
      unackedOnServer = await unacked();
    } finally {
      final.child.kill("SIGTERM");
      await final.exited;
    }
    deliveredCount();
    // Whatever was not delivered must still be in the daemon's hands: waiting in its queue or a dead letter.
    const queue = await openQueueStore({ path: queueFileOf(stateDir, "default"), logger: createSilentLogger() });
    const pendingIds = new Set(queue.list().map((job) => job.id));
    const dead = queue.deadLetters().map((job) => ({ id: job.id, code: job.lastError?.code ?? "?", attempts: job.attempts }));
    await queue.close();
    const delivered = deliveredIds();
    const deadIds = new Set(dead.map((d) => d.id));
    return {
      cycles,
      sent: sent.length,
      delivered: delivered.size,
      lost: sent.filter((id) => !delivered.has(id) && !pendingIds.has(id) && !deadIds.has(id)),
      pending: sent.filter((id) => !delivered.has(id) && pendingIds.has(id)),
      dead,
      duplicateDeliveries: hook.deliveries.length - delivered.size,
      unackedOnServer,
      ...timing(sent, sentAt, firstDelivery),
      repeatedAttempts: repeated(hook.deliveries.map((d) => `${String(d.body["deliveryId"])}#${String(d.body["attempt"])}`)),
    };
  } finally {
    await hook.close();
    await server.close();
    if (process.env["CLAWTELL_CHAOS_KEEP"] === undefined) await rm(dir, { recursive: true, force: true });
    else process.stdout.write(`chaos state kept in ${dir}\n`);
  }
}

/** Delay from send to first delivery, the late ones, and the ones delivered after a message sent later. */
function timing(sent: readonly string[], sentAt: ReadonlyMap<string, number>, firstDelivery: ReadonlyMap<string, number>): Pick<ChaosResult, "worstDelayMs" | "late" | "overtaken"> {
  // A message never delivered counts as delivered at the end of the run: as late as it could be.
  const end = Date.now();
  let worstDelayMs = 0;
  const late: ChaosResult["late"] = [];
  for (const id of sent) {
    const delivered = firstDelivery.get(id) ?? end;
    const delayMs = delivered - (sentAt.get(id) ?? delivered);
    worstDelayMs = Math.max(worstDelayMs, delayMs);
    if (delayMs > STALL_BOUND_MS) late.push({ id, delayMs });
  }
  // Walking back from the last send: a message first delivered after the earliest delivery of any later send was
  // overtaken.
  const overtaken: string[] = [];
  let earliestLater = Number.POSITIVE_INFINITY;
  for (let i = sent.length - 1; i >= 0; i--) {
    const id = sent[i] ?? "";
    const delivered = firstDelivery.get(id) ?? end;
    if (delivered > earliestLater) overtaken.push(id);
    earliestLater = Math.min(earliestLater, delivered);
  }
  return { worstDelayMs, late, overtaken: overtaken.reverse() };
}

const repeated = (keys: readonly string[]): string[] => {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const key of keys) {
    if (seen.has(key)) twice.push(key);
    seen.add(key);
  }
  return twice;
};
