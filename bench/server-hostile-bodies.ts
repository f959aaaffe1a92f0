/**
 * Hostile bodies: how long one request can hold the server's event loop. Goal: no single request blocks it for more
 * than 100 ms.
 *
 * The server runs in a child process (lib/monitored-server.ts) that watches its own event loop with
 * `monitorEventLoopDelay` (resolution 10 ms) and a 5 ms interval timer, so the figures are the server's alone, not
 * the load generator's (which builds and uploads the bodies). Each phase sends `BENCH_REQUESTS` requests of one kind
 * (default 3), one after the other, waits 200 ms for whatever the server does after answering, and reads the largest
 * delay of the phase (an upper bound of the longest block: it includes up to the monitor's 10 ms interval). Baseline in the same run: the same number of ordinary sends. Every round measures the
 * baseline and then each kind; `BENCH_ROUNDS` rounds (default 5), medians and spreads over the rounds.
 */
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { Client } from "undici";
import { MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS } from "../src/protocol/index.js";
import { BODY_LIMIT_BYTES } from "../src/server/index.js";
import { JSON_WORKER_IDLE_MS, MAX_JSON_TOKENS } from "../src/server/json-body.js";
import { SEND_BODY_LIMIT_BYTES } from "../src/server/routes/messages.js";
import { spawnUntil } from "./lib/children.js";
import { describeSpread, fmt, machineLine, spreadOf } from "./lib/harness.js";

const ROOT = resolve(import.meta.dirname, "..");
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const REQUESTS = Number(process.env["BENCH_REQUESTS"] ?? 3);
const SETTLE_MS = 200;
const GOAL_MS = 100;
const MB = 1024 * 1024;

interface Kind {
  readonly label: string;
  readonly path: string;
  /** Whether the request carries the sender's valid key. */
  readonly withKey: boolean;
  /** A Buffer is sent with a Content-Length; a function gives a fresh chunked body each time. */
  readonly body: Buffer | (() => Readable);
}

const ordinary = Buffer.from(JSON.stringify({ to: "bob", body: "benchmark payload of a typical short agent message" }));
const send = (fields: string): Buffer => Buffer.from(`{"to":"bob","body":"x"${fields}}`);

/** Random bytes that start like no program (file-kinds.ts refuses those by content), in base64. */
function fileBase64(size: number): string {
  const bytes = randomBytes(size);
  bytes[0] = 0x89; // as a PNG starts
  return bytes.toString("base64");
}

/**
 * Bodies of 32 MiB: within the send's limit, so they are read, not refused from their Content-Length (a send's body
 * past 256 KiB is scanned as it arrives, send-body-stream.ts, and one that is not files' data is refused past 549 KiB).
 */
const BIG = 32 * MB;

function hostileKinds(): Kind[] {
  const nested20 = Buffer.from("[".repeat(20 * MB));
  const oversized = Buffer.alloc(SEND_BODY_LIMIT_BYTES + 5 * MB, 0x20);
  const perFile = Math.floor(MAX_ATTACHMENT_BYTES / MAX_ATTACHMENTS);
  const tenFiles = Array.from({ length: MAX_ATTACHMENTS }, (_, i) => `{"data":"${fileBase64(perFile)}","filename":"photo-${i}.png","mime_type":"image/png"}`);
  const surrogateKeys = Array.from({ length: MAX_JSON_TOKENS / 2 - 10 }, (_, i) => `"k\\ud800${i}":"\\udc00"`).join(",");
  const toSend = (label: string, body: Buffer): Kind => ({ label, path: "/api/messages/send", withKey: true, body });
  return [
    toSend(`20 MB of nested [ (send limit ${fmt(SEND_BODY_LIMIT_BYTES / MB)} MB)`, nested20),
    { label: "20 MB of nested [, no key", path: "/api/messages/send", withKey: false, body: nested20 },
    { label: `20 MB of nested [ to ack (limit ${BODY_LIMIT_BYTES / 1024} KiB)`, path: "/api/messages/ack", withKey: true, body: nested20 },
    toSend("10 MB of nested objects", Buffer.from('{"a":'.repeat(2 * MB))),
    toSend("flat array of 10 M values (20 MB)", send(`,"attachments":[${"0,".repeat(10 * MB)}0]`)),
    toSend("32 MB of ]", Buffer.from("]".repeat(BIG))),
    toSend("32 MB of whitespace around a send", Buffer.from(`${" ".repeat(BIG)}${ordinary.toString()}`)),
    toSend("a number of 32 M digits", send(`,"n":${"1".repeat(BIG)}`)),
    toSend("32 MB string as the body", Buffer.from(`{"to":"bob","body":"${"x".repeat(BIG)}"}`)),
    toSend("16 M escaped quotes as the body", Buffer.from(`{"to":"bob","body":"${'\\"'.repeat(BIG / 2)}"}`)),
    toSend("5 M lone surrogates (30 MB) as the body", Buffer.from(`{"to":"bob","body":"${"\\ud800".repeat(5 * MB)}"}`)),
    toSend("50 000 lone surrogates as the body", Buffer.from(`{"to":"bob","subject":"\\udc00","body":"${"\\ud800".repeat(50_000)}"}`)),
    toSend(`${MAX_JSON_TOKENS / 2 - 10} keys with lone surrogates`, send(`,${surrogateKeys}`)),
    toSend(`oversized send, ${fmt(oversized.length / MB)} MB with Content-Length`, oversized),
    {
      label: `oversized send, ${fmt(oversized.length / MB)} MB chunked`,
      path: "/api/messages/send",
      withKey: true,
      body: () => Readable.from((function* () {
        for (let at = 0; at < oversized.length; at += MB) yield oversized.subarray(at, at + MB);
      })()),
    },
    toSend(`${MAX_ATTACHMENTS} attachments, ${MAX_ATTACHMENT_BYTES / MB} MiB in all`, send(`,"attachments":[${tenFiles.join(",")}]`)),
    toSend(
      `1 attachment of ${MAX_ATTACHMENT_BYTES / MB} MiB`,
      send(`,"attachments":[{"data":"${fileBase64(MAX_ATTACHMENT_BYTES)}","filename":"big.png","mime_type":"image/png"}]`),
    ),
  ];
}

const BASELINE: Kind = { label: "baseline: ordinary sends", path: "/api/messages/send", withKey: true, body: ordinary };

interface Report {
  maxMs: number;
  p99Ms: number;
  probeMaxGapMs: number;
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
}

interface PhaseResult {
  report: Report;
  /** Status of each request, or the error that ended it. */
  statuses: string[];
  /** Request issued → answer read, ms (includes the upload). */
  times: number[];
}

async function control(url: string, method: "GET" | "POST", path: string): Promise<Report> {
  const response = await fetch(`${url}${path}`, { method });
  return (await response.json()) as Report;
}

async function oneRequest(url: string, key: string, kind: Kind): Promise<{ status: string; ms: number }> {
  const client = new Client(url);
  const started = performance.now();
  try {
    const response = await client.request({
      method: "POST",
      path: kind.path,
      headers: { "content-type": "application/json", ...(kind.withKey ? { authorization: `Bearer ${key}` } : {}) },
      body: typeof kind.body === "function" ? kind.body() : kind.body,
    });
    await response.body.text();
    return { status: String(response.statusCode), ms: performance.now() - started };
  } catch (err) {
    const code = err instanceof Error && "code" in err ? String(err.code) : "error";
    return { status: code, ms: performance.now() - started };
  } finally {
    await client.destroy();
  }
}

async function phase(server: { url: string; control: string; key: string }, kind: Kind): Promise<PhaseResult> {
  const statuses: string[] = [];
  const times: number[] = [];
  await control(server.control, "POST", "/reset");
  for (let i = 0; i < REQUESTS; i++) {
    const { status, ms } = await oneRequest(server.url, server.key, kind);
    statuses.push(status);
    times.push(ms);
  }
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  return { report: await control(server.control, "GET", "/report"), statuses, times };
}

const countStatuses = (statuses: readonly string[]): string => {
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${s}×${n}`).join(" ");
};

export async function runHostileBodiesBench(): Promise<{ worstMedianMs: number; baselineMs: number }> {
  const lines: string[] = [`## hostile bodies: the server's longest event-loop block per request kind`, `${machineLine()} (at start)`];
  const kinds = [BASELINE, ...hostileKinds()];
  const child = await spawnUntil(
    process.execPath,
    ["--import", "tsx", "--max-semi-space-size=8", join(ROOT, "bench/lib/monitored-server.ts")],
    /listening on (http:\/\/\S+) control (http:\/\/\S+) key (\S+)/,
    { cwd: ROOT, stdin: "pipe", env: { ...process.env, NODE_OPTIONS: "" } },
  );
  const server = { url: child.match[1] ?? "", control: child.match[2] ?? "", key: child.match[3] ?? "" };
  const results = new Map<Kind, PhaseResult[]>(kinds.map((kind) => [kind, []]));
  let idle: Report | undefined;
  try {
    // Warm-up: the key pays its one bcrypt check and the server's code paths are compiled before timing starts.
    for (const kind of kinds) await phase(server, kind);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const kind of kinds) results.get(kind)?.push(await phase(server, kind));
      process.stderr.write(`round ${round} of ${ROUNDS} done\n`);
    }
    // The worker thread for large bodies ends when idle, and its heap with it.
    await new Promise((r) => setTimeout(r, JSON_WORKER_IDLE_MS + 2000));
    idle = await control(server.control, "GET", "/report");
  } finally {
    await child.stop();
  }
  const block = (r: PhaseResult): number => r.report.maxMs;
  const baseline = spreadOf((results.get(BASELINE) ?? []).map(block)).median;
  let worstMedian = 0;
  let worstKind = "";
  lines.push(
    `${ROUNDS} rounds (after one warm-up round), each: the baseline, then each kind; ${REQUESTS} requests per phase, one at a time`,
    "per kind: largest event-loop delay of the phase (monitorEventLoopDelay, resolution 10 ms) over the rounds, its ratio to the baseline's median, " +
      "the 5 ms timer's largest lateness, statuses, request → answer time (with the upload), RSS after",
  );
  for (const kind of kinds) {
    const rounds = results.get(kind) ?? [];
    const median = spreadOf(rounds.map(block)).median;
    if (kind !== BASELINE && median > worstMedian) {
      worstMedian = median;
      worstKind = kind.label;
    }
    lines.push(
      `${kind.label}:`,
      `  max block ${describeSpread(rounds.map(block), 1, " ms")}, ratio to baseline ${fmt(median / baseline, 2)}; ` +
        `timer lateness ${describeSpread(rounds.map((r) => r.report.probeMaxGapMs), 1, " ms")}`,
      `  statuses ${countStatuses(rounds.flatMap((r) => r.statuses))}; answer in ${describeSpread(rounds.flatMap((r) => r.times), 1, " ms")}; ` +
        `RSS after ${describeSpread(rounds.map((r) => r.report.rssMb), 0, " MB")}`,
    );
  }
  const worstSingle = Math.max(...kinds.filter((k) => k !== BASELINE).flatMap((k) => (results.get(k) ?? []).map(block)));
  lines.push(
    `worst kind by median: ${worstKind}, ${fmt(worstMedian, 1)} ms (goal: no request blocks the loop > ${GOAL_MS} ms: ${worstMedian <= GOAL_MS ? "met" : "NOT met"}); ` +
      `worst single phase ${fmt(worstSingle, 1)} ms; baseline median ${fmt(baseline, 1)} ms`,
    `${(JSON_WORKER_IDLE_MS + 2000) / 1000} s after the last request: RSS ${fmt(idle?.rssMb ?? Number.NaN, 0)} MB ` +
      `(JavaScript heap in use ${fmt(idle?.heapUsedMb ?? Number.NaN, 0)} MB, outside it ${fmt(idle?.externalMb ?? Number.NaN, 0)} MB)`,
    `${machineLine()} (at end)`,
    "",
  );
  process.stdout.write(lines.join("\n"));
  return { worstMedianMs: worstMedian, baselineMs: baseline };
}

if (import.meta.url === `file://${process.argv[1]}`) await runHostileBodiesBench();
