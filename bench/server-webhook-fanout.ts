/**
 * Webhook fan-out: deliveries per second reaching a loopback receiver, counted by the receiver. Arm "bare undici" POSTs
 * signed `message.received` bodies of the same shape to the same receiver with the dispatcher's concurrency (4) from a
 * plain undici Pool: the ceiling of the HTTP side alone. Arm "server" is our server (built, durable data folder,
 * `--allow-private-webhooks`) with `BENCH_WEBHOOK_NAMES` names (default 16) that each have a webhook URL, receiving
 * `BENCH_WEBHOOK_MESSAGES` messages (default 2000) sent round-robin to them; its rate is taken from the first to the
 * last delivery the receiver sees. The arms alternate for `BENCH_ROUNDS` rounds (default 5), the order rotating each
 * round (lib/rounds.ts); the figure is the server's rate over the bare loop's, per round, with its median and spread.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";
import { signWebhook, WEBHOOK_HEADERS } from "../src/infra/index.js";
import { describeSpread, fmt, machineLine, requestJson, spreadOf, startClawTell } from "./lib/harness.js";
import { alternateRounds } from "./lib/rounds.js";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const NAMES = Number(process.env["BENCH_WEBHOOK_NAMES"] ?? 16);
const MESSAGES = Number(process.env["BENCH_WEBHOOK_MESSAGES"] ?? 2000);
/** The server's webhook dispatcher attempts this many at once (webhooks/dispatcher.ts). */
const CONCURRENCY = 4;
const SENDERS = 16;
const SECRET = "bench-webhook-secret-of-32-chars";

interface Receiver {
  readonly url: string;
  /** Resolves with the rate (deliveries/s, first to last) once `count` deliveries arrived after `reset`. */
  reset(count: number): Promise<number>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  let wanted = 0;
  let seen = 0;
  let first = 0;
  let done: ((rate: number) => void) | undefined;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
      const now = performance.now();
      if (seen++ === 0) first = now;
      if (seen === wanted) done?.(((wanted - 1) * 1000) / Math.max(now - first, 1));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    reset: (count) =>
      new Promise<number>((resolve) => {
        wanted = count;
        seen = 0;
        done = resolve;
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A body like the server's `message.received`, signed as it signs. */
function signedBody(i: number): { raw: string; headers: Record<string, string> } {
  const id = `bench-${i}`;
  const at = new Date().toISOString();
  const raw = JSON.stringify({
    event: "message.received",
    deliveryId: `rcv_${id}`,
    attempt: 1,
    timestamp: at,
    name: `extra-${(i % NAMES) + 1}`,
    message: { id, from: "tell/alice", to_name: "extra-1", subject: "Message", body: `fan-out ${i}`, createdAt: at, threadId: id, replyToMessageId: null, autoReplyEligible: false, attachments: [] },
  });
  const timestamp = String(Math.floor(Date.now() / 1000));
  return {
    raw,
    headers: {
      "content-type": "application/json",
      [WEBHOOK_HEADERS.delivery]: `rcv_${id}`,
      [WEBHOOK_HEADERS.event]: "message.received",
      [WEBHOOK_HEADERS.timestamp]: timestamp,
      [WEBHOOK_HEADERS.signature]: signWebhook(SECRET, timestamp, raw),
    },
  };
}

/** Runs `worker` on `workers` loops until `count` items are taken. */
async function loops(count: number, workers: number, worker: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < count) await worker(next++);
    }),
  );
}

async function bareArm(receiver: Receiver): Promise<number> {
  const url = new URL(receiver.url);
  const pool = new Pool(url.origin, { connections: CONCURRENCY });
  try {
    const rate = receiver.reset(MESSAGES);
    await loops(MESSAGES, CONCURRENCY, async (i) => {
      const { raw, headers } = signedBody(i);
      const res = await pool.request({ path: url.pathname, method: "POST", headers, body: raw });
      await res.body.text();
    });
    return await rate;
  } finally {
    await pool.close();
  }
}

async function serverArm(receiver: Receiver): Promise<number> {
  const target = await startClawTell({ extraNames: NAMES, serverArgs: ["--allow-private-webhooks", "--rate-limit-ip", "0", "--rate-limit-key", "0"] });
  const pool = new Pool(target.url, { connections: SENDERS });
  try {
    for (const [i, key] of target.extraKeys.entries()) {
      const res = await pool.request({
        path: `/api/names/extra-${i + 1}`,
        method: "PATCH",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ webhook_url: receiver.url, webhook_secret: SECRET }),
      });
      if (res.statusCode !== 200) throw new Error(`PATCH extra-${i + 1}: HTTP ${res.statusCode} ${await res.body.text()}`);
      await res.body.text();
    }
    const rate = receiver.reset(MESSAGES);
    await loops(MESSAGES, SENDERS, async (i) => {
      await requestJson(pool, "POST", "/api/messages/send", target.senderKey, { to: `extra-${(i % NAMES) + 1}`, body: `fan-out ${i}` });
    });
    return await rate;
  } finally {
    await pool.close();
    await target.stop();
  }
}

export async function runWebhookFanoutBench(): Promise<{ medianRatio: number }> {
  const before = machineLine();
  const receiver = await startReceiver();
  try {
    process.stdout.write(`webhook fan-out: ${MESSAGES} deliveries to ${NAMES} names, concurrency ${CONCURRENCY}, ${ROUNDS} rounds\n`);
    const [bare = [], served = []] = await alternateRounds([() => bareArm(receiver), () => serverArm(receiver)], ROUNDS, (round, [b = 0, s = 0]) =>
      process.stdout.write(`round ${round + 1}: bare undici ${fmt(b, 0)}/s, server ${fmt(s, 0)}/s, ratio ${fmt(s / b, 3)}\n`),
    );
    const ratios = served.map((s, i) => s / (bare[i] ?? Number.NaN));
    process.stdout.write(
      `${[
        `bare undici: ${describeSpread(bare, 0, "/s")}`,
        `server: ${describeSpread(served, 0, "/s")}`,
        `server / bare undici: ${describeSpread(ratios, 3)}`,
        `machine before: ${before}`,
        `machine after: ${machineLine()}`,
      ].join("\n")}\n`,
    );
    return { medianRatio: spreadOf(ratios).median };
  } finally {
    await receiver.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runWebhookFanoutBench();
