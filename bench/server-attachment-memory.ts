/**
 * How much the server's memory grows to take in one send's attachments: a 1 MiB file against a 25 MiB one and four
 * of 25 MiB, sent as base64 `data` and by `url` (fetched from a loopback file server in this process; the server runs with
 * `--allow-private-webhooks`). Each measurement is a fresh server (`npm start`'s build, a fresh data folder): its
 * resident memory when quiet, then its peak (VmHWM) after one send, the difference printed. The arms take turns for
 * `BENCH_ROUNDS` rounds (default 5), the order rotating each round; medians and spreads, and each larger arm against
 * the 1 MiB arm of the same way in: a ratio near 1 means memory does not grow with the files.
 *
 * Run with `npm run bench:server:attachments`.
 */
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { describeSpread, fmt, machineLine, rssMb, spreadOf, startClawTell, waitUntilQuiet, type BenchTarget } from "./lib/harness.js";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const MIB = 1024 * 1024;

interface Arm {
  readonly label: string;
  readonly bytes: number;
  readonly via: "data" | "url";
  /** Files in the one send. */
  readonly files: number;
}

const ARMS: readonly Arm[] = [
  { label: "data 1 MiB", bytes: MIB, via: "data", files: 1 },
  { label: "data 25 MiB", bytes: 25 * MIB, via: "data", files: 1 },
  { label: "data 4×25 MiB", bytes: 25 * MIB, via: "data", files: 4 },
  { label: "url 1 MiB", bytes: MIB, via: "url", files: 1 },
  { label: "url 25 MiB", bytes: 25 * MIB, via: "url", files: 1 },
  { label: "url 4×25 MiB", bytes: 25 * MIB, via: "url", files: 4 },
  { label: "url 10×25 MiB", bytes: 25 * MIB, via: "url", files: 10 },
];
/** Each larger arm against the 1 MiB arm of the same way in (indexes into ARMS). */
const RATIOS: ReadonlyArray<readonly [number, number, string]> = [
  [0, 1, "the file is 25×"],
  [0, 2, "the files are 100×"],
  [3, 4, "the file is 25×"],
  [3, 5, "the files are 100×"],
  [3, 6, "the files are 250×"],
];

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** Serves `/<bytes>.zip`: that many bytes, written in 64 KiB pieces as the reader takes them. */
async function startFileServer(): Promise<{ url: string; server: Server }> {
  const piece = Buffer.alloc(64 * 1024, 0x41);
  const server = createServer((request, response) => {
    request.resume();
    const total = Number(/^\/(\d+)\.zip$/.exec(request.url ?? "")?.[1] ?? 0);
    response.writeHead(200, { "content-type": "application/zip", "content-length": total });
    let sent = 0;
    const next = (): void => {
      while (sent < total) {
        const chunk = piece.subarray(0, Math.min(piece.length, total - sent));
        sent += chunk.length;
        if (!response.write(chunk)) {
          response.once("drain", next);
          return;
        }
      }
      response.end();
    };
    next();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`, server };
}

/** Sets the process's peak RSS (VmHWM) back to its current RSS (Linux `clear_refs`); false where that is not allowed. */
async function resetPeak(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** Sends the arm's files; false when the server refused the body as too large (413: a build without streaming). */
async function sendOne(target: BenchTarget, arm: Arm, files: string): Promise<boolean> {
  const attachment =
    arm.via === "data"
      ? { data: Buffer.alloc(arm.bytes, 0x41).toString("base64"), filename: "file.zip", mime_type: "application/zip" }
      : { url: `${files}/${arm.bytes}.zip` };
  const response = await fetch(`${target.url}/api/messages/send`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${target.senderKey}` },
    body: JSON.stringify({ to: "bob", body: "file", attachments: Array.from({ length: arm.files }, () => attachment) }),
  });
  if (response.status === 413) return false;
  if (response.status !== 200) throw new Error(`${arm.label}: send answered ${response.status}: ${await response.text()}`);
  return true;
}

/** Whether the peak could be reset before each send (else it is the peak since the server started). */
let peakReset = true;

/** The growth of the server's peak memory over its quiet memory for one send of the arm, MiB; NaN when refused. */
async function measure(arm: Arm, files: string): Promise<number> {
  const target = await startClawTell({ serverArgs: ["--allow-private-webhooks"] });
  try {
    await waitUntilQuiet(target.pid);
    peakReset = (await resetPeak(target.pid)) && peakReset;
    const before = await rssMb(target.pid);
    if (!(await sendOne(target, arm, files))) return Number.NaN;
    return (await peakRssMb(target.pid)) - before;
  } finally {
    await target.stop();
  }
}

export async function runAttachmentMemoryBench(): Promise<string> {
  const files = await startFileServer();
  const growth: number[][] = ARMS.map(() => []);
  const lines = [`server memory per attachment: peak RSS growth for one send, ${ROUNDS} rounds`, machineLine()];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = ARMS.map((_, i) => (i + round) % ARMS.length);
      const figures: string[] = [];
      for (const i of order) {
        const mb = await measure(ARMS[i] as Arm, files.url);
        growth[i]?.push(mb);
        figures.push(`${ARMS[i]?.label}: ${Number.isNaN(mb) ? "refused (413)" : `+${fmt(mb)} MiB`}`);
      }
      lines.push(`  round ${round + 1}: ${figures.join(", ")}`);
    }
  } finally {
    await new Promise<void>((resolve) => files.server.close(() => resolve()));
  }
  lines.push(peakReset ? "peak reset to the quiet RSS before each send (clear_refs)" : "peak since the server started (clear_refs not allowed here)");
  const taken = (values: readonly number[] = []): number[] => values.filter((mb) => !Number.isNaN(mb));
  ARMS.forEach((arm, i) => {
    const figures = taken(growth[i]);
    lines.push(`${arm.label.padEnd(14)} peak growth ${figures.length === 0 ? "refused (413) in every round" : describeSpread(figures, 1, " MiB")}`);
  });
  for (const [small, large, what] of RATIOS) {
    const ratios = taken((growth[large] ?? []).map((mb, round) => mb / (growth[small]?.[round] ?? Number.NaN)));
    if (ratios.length === 0) continue;
    const { median } = spreadOf(ratios);
    lines.push(`${ARMS[large]?.label} / ${ARMS[small]?.label}: ${fmt(median, 2)}× (${describeSpread(ratios, 2, "×")}; ${what})`);
  }
  lines.push(machineLine());
  return `${lines.join("\n")}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(await runAttachmentMemoryBench());
