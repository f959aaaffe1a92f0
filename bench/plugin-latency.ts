/**
 * What the OpenClaw plugin adds between the server accepting a message and the agent turn starting — goal ≤ 50 ms p99.
 *
 * Our server runs as `npm start` runs it (a child process, durable storage). A sender sends at a steady rate; we time
 * send issued → event, for two receivers that take turns in alternating rounds:
 *   baseline: a bare SSE reader on the name's stream (fetch + eventsource-parser) that acks each message — the
 *             server and the wire alone;
 *   plugin:   the plugin's `gateway.startAccount` (`runAccount`: our client, routing, durable queue, ack, 🦞 copy,
 *             agent sink) with OpenClaw's runtime as the hand-made double of the unit tests; the event is its
 *             `inbound.dispatch` call, where OpenClaw starts the agent turn.
 * The difference of the two is what the plugin adds. The double's chat send and dispatch return at once, so the
 * figure leaves out Telegram's and the model's own time, which are not the plugin's.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createParser } from "eventsource-parser";
import { Pool } from "undici";
import { createSilentLogger } from "../src/infra/index.js";
import { resolvePluginAccount, runAccount } from "../src/plugin/index.js";
import { CFG, chatRow, createRuntimeDouble } from "../test/unit/plugin/runtime-double.js";
import { fmt, machineLine, percentile, requestJson, startClawTell, type BenchTarget } from "./lib/harness.js";

const RATE = Number(process.env["BENCH_RATE"] ?? 50);
const SECONDS = Number(process.env["BENCH_SECONDS"] ?? 8);
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 2);
const PROBE = /latency probe (\d+)/;

/** Something that reports each probe number as it arrives, until stopped. */
interface Receiver {
  ready: Promise<void>;
  stop(): Promise<void>;
}
type OnProbe = (probe: number) => void;

function bareSseReceiver(target: BenchTarget, pool: Pool, onProbe: OnProbe): Receiver {
  const abort = new AbortController();
  let markReady = (): void => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  // The server ends a stream after `limit` messages or `timeout` seconds; a reader reconnects, as every client does.
  const run = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      const response = await fetch(`${target.url}/v1/stream?timeout=120&limit=100`, { headers: { authorization: `Bearer ${target.receiverKey}` }, signal: abort.signal });
      const parser = createParser({
        onEvent(event) {
          if (event.event === "connected") markReady();
          if (event.event !== "message") return;
          const message = JSON.parse(event.data) as { id: string; body: string };
          const probe = PROBE.exec(message.body)?.[1];
          if (probe !== undefined) onProbe(Number(probe));
          void requestJson(pool, "POST", "/v1/ack", target.receiverKey, { messageIds: [message.id] });
        },
      });
      const decoder = new TextDecoder();
      for await (const chunk of response.body ?? []) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    }
  };
  const running = run().catch((err: unknown) => {
    if (!abort.signal.aborted) throw err;
  });
  return {
    ready,
    async stop() {
      abort.abort();
      await running;
    },
  };
}

function pluginReceiver(target: BenchTarget, stateDir: string, onProbe: OnProbe): Receiver {
  const double = createRuntimeDouble();
  double.replies = [];
  double.sessions["main"] = [chatRow("agent:main:main", "telegram", "telegram:4242", 1_000)];
  const dispatch = double.runtime.inbound.dispatch;
  const runtime = {
    ...double.runtime,
    inbound: {
      ...double.runtime.inbound,
      dispatch: (params: Parameters<typeof dispatch>[0]) => {
        const probe = PROBE.exec(JSON.stringify(params.ctxPayload.params["message"]))?.[1];
        if (probe !== undefined) onProbe(Number(probe));
        return dispatch(params);
      },
    },
  };
  const abort = new AbortController();
  let markReady = (): void => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const cfg = { channels: { clawtell: { name: "bob", apiKey: target.receiverKey, baseUrl: target.url, routing: { bob: { agent: "main", forward: true } } } } };
  const running = runAccount(
    {
      cfg: CFG,
      accountId: "default",
      account: resolvePluginAccount(cfg, "default"),
      abortSignal: abort.signal,
      setStatus: (status) => {
        if (status.connected === true) markReady();
      },
    },
    { runtime, listSessionEntries: (agentId) => double.sessions[agentId] ?? [], defaultAgentId: () => "main", sendBatch: double.sendBatch, stateDir, logger: createSilentLogger(), statusIntervalMs: 20 },
  );
  return {
    ready,
    async stop() {
      abort.abort();
      await running;
    },
  };
}

/** One round: `RATE` msg/s for `SECONDS` s; resolves with the latencies (ms) of every probe that arrived. */
async function round(target: BenchTarget, pool: Pool, start: (onProbe: OnProbe) => Receiver): Promise<number[]> {
  const issuedAt = new Map<number, number>();
  const latencies: number[] = [];
  const receiver = start((probe) => {
    const at = issuedAt.get(probe);
    if (at !== undefined) latencies.push(performance.now() - at);
  });
  await receiver.ready;
  const total = RATE * SECONDS;
  const began = performance.now();
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = began + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    issuedAt.set(i, performance.now());
    sends.push(requestJson(pool, "POST", "/api/messages/send", target.senderKey, { to: "bob", body: `latency probe ${i}` }));
  }
  await Promise.all(sends);
  const deadline = performance.now() + 10_000;
  while (latencies.length < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await receiver.stop();
  if (latencies.length < total) throw new Error(`only ${latencies.length} of ${total} probes arrived`);
  return latencies.sort((a, b) => a - b);
}

export async function runPluginLatencyBench(): Promise<void> {
  const target = await startClawTell();
  const pool = new Pool(target.url, { connections: 16 });
  const stateDir = await mkdtemp(join(tmpdir(), "clawtell-plugin-bench-"));
  try {
    process.stdout.write(`## plugin latency: send issued → agent turn starts, ${RATE} msg/s for ${SECONDS} s, ${ROUNDS} rounds each\n${machineLine()}\n`);
    const bare: number[] = [];
    const plugin: number[] = [];
    const runBare = (): Promise<number[]> => round(target, pool, (onProbe) => bareSseReceiver(target, pool, onProbe));
    const runPlugin = (): Promise<number[]> => round(target, pool, (onProbe) => pluginReceiver(target, stateDir, onProbe));
    // A warm-up round of each (not counted), then rounds in alternating order so neither always goes first.
    await runBare();
    await runPlugin();
    for (let r = 0; r < ROUNDS; r++) {
      const [first, second] = r % 2 === 0 ? [runBare, runPlugin] : [runPlugin, runBare];
      const a = await first();
      const b = await second();
      (first === runBare ? bare : plugin).push(...a);
      (second === runBare ? bare : plugin).push(...b);
    }
    bare.sort((a, b) => a - b);
    plugin.sort((a, b) => a - b);
    const line = (label: string, xs: number[]): string => `${label}: p50 ${fmt(percentile(xs, 50), 2)} ms, p99 ${fmt(percentile(xs, 99), 2)} ms, max ${fmt(xs.at(-1) ?? Number.NaN, 2)} ms (${xs.length} messages)`;
    process.stdout.write(
      [
        line("baseline (bare SSE reader)", bare),
        line("plugin (dispatch into the agent)", plugin),
        `the plugin adds: p50 ${fmt(percentile(plugin, 50) - percentile(bare, 50), 2)} ms, p99 ${fmt(percentile(plugin, 99) - percentile(bare, 99), 2)} ms; plugin p99 ${fmt(percentile(plugin, 99), 2)} ms (goal <= 50 ms)`,
        `${machineLine()}`,
        "",
      ].join("\n"),
    );
  } finally {
    await pool.close();
    await target.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runPluginLatencyBench();
