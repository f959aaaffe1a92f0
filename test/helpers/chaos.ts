// Kills the standalone daemon with SIGKILL at random moments while messages flow, then checks that nothing was lost.
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
}

function startDaemon(configPath: string, stateDir: string): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(process.execPath, [CLI_PATH, "daemon", "--config", configPath, "--state-dir", stateDir], {
    stdio: ["ignore", "ignore", "ignore"],
    env: cliEnv({ CLAWTELL_LOG_LEVEL: "silent" }),
  });
  return { child, exited: new Promise((resolve) => child.once("exit", () => resolve())) };
}

/** Waits until `count()` reaches `target`, or stops growing for `quietMs` (at most `capMs` in all). */
async function waitForProgressToEnd(count: () => number, target: number, quietMs = 15_000, capMs = 300_000): Promise<void> {
  const started = Date.now();
  let last = -1;
  let lastChangeAt = Date.now();
  while (count() < target && Date.now() - lastChangeAt < quietMs && Date.now() - started < capMs) {
    if (count() !== last) {
      last = count();
      lastChangeAt = Date.now();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
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
    const sendSome = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const result = await sender.send({ to: "bob", body: `chaos ${sent.length}` });
        if (result.messageId !== undefined) sent.push(result.messageId);
      }
    };
    for (let cycle = 0; cycle < cycles; cycle++) {
      const daemon = startDaemon(configPath, stateDir);
      await sendSome(perCycle);
      await new Promise((r) => setTimeout(r, 100 + Math.floor(random() * 400)));
      daemon.child.kill("SIGKILL");
      await daemon.exited;
      // The server delivers unacked messages again after its visibility timeout; a restart makes that immediate.
      if (cycle % 25 === 24) await server.restart();
    }
    await server.restart();
    const final = startDaemon(configPath, stateDir);
    const deliveredIds = (): Set<string> => new Set(hook.deliveries.map((d) => String(d.body["id"])));
    // Read from the store, not by polling: a poll would hand the messages out and hide them from the daemon.
    const bobId = server.store.findNameByName("bob")?.id ?? -1;
    const unacked = (): number => server.store.listUnacked([bobId], sent.length + 1, new Set()).length;
    let unackedOnServer: number;
    try {
      // Deliveries from the local queue can finish before the redelivered copies are acked: wait for both.
      await waitForProgressToEnd(() => deliveredIds().size + (sent.length - unacked()), 2 * sent.length);
      unackedOnServer = unacked();
    } finally {
      final.child.kill("SIGTERM");
      await final.exited;
    }
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
    };
  } finally {
    await hook.close();
    await server.close();
    if (process.env["CLAWTELL_CHAOS_KEEP"] === undefined) await rm(dir, { recursive: true, force: true });
    else process.stdout.write(`chaos state kept in ${dir}\n`);
  }
}
