// Kills the standalone daemon with SIGKILL at random moments while messages flow, then checks that nothing was lost.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClawTellClient } from "../../src/client/index.js";
import { CLI_PATH } from "./cli-process.js";
import { waitFor } from "./http-stub.js";
import { api, startTestServer } from "./test-server.js";
import { startWebhookRecorder } from "./webhook-recorder.js";

export interface ChaosResult {
  cycles: number;
  sent: number;
  delivered: number;
  lost: string[];
  duplicateDeliveries: number;
  unackedOnServer: number;
}

function startDaemon(configPath: string, stateDir: string): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(process.execPath, [CLI_PATH, "daemon", "--config", configPath, "--state-dir", stateDir], {
    stdio: ["ignore", "ignore", "ignore"],
    env: { ...process.env, CLAWTELL_LOG_LEVEL: "silent" },
  });
  return { child, exited: new Promise((resolve) => child.once("exit", () => resolve())) };
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
    try {
      const deliveredIds = () => new Set(hook.deliveries.map((d) => String(d.body["id"])));
      await waitFor(() => sent.every((id) => deliveredIds().has(id)), 60_000).catch(() => undefined);
      await waitFor(() => true, 10);
      const res = await api(server, "GET", "/api/messages/poll?timeout=0&limit=100", { key: bob.apiKey });
      const delivered = deliveredIds();
      return {
        cycles,
        sent: sent.length,
        delivered: delivered.size,
        lost: sent.filter((id) => !delivered.has(id)),
        duplicateDeliveries: hook.deliveries.length - delivered.size,
        unackedOnServer: (res.body["messages"] as unknown[]).length,
      };
    } finally {
      final.child.kill("SIGTERM");
      await final.exited;
    }
  } finally {
    await hook.close();
    await server.close();
    if (process.env["CLAWTELL_CHAOS_KEEP"] === undefined) await rm(dir, { recursive: true, force: true });
    else process.stdout.write(`chaos state kept in ${dir}\n`);
  }
}
