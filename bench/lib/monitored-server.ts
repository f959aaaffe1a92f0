/**
 * A child process of the hostile-bodies benchmark: our server, started in this process as the integration tests
 * start it (`startServer` on a fresh data folder), with this process's event loop watched, so that what is measured
 * is the server's loop alone and not the load generator's.
 * Run with `node --import tsx bench/lib/monitored-server.ts`. Prints
 * `listening on <server url> control <control url> key <alice's key>` once ready; exits on SIGTERM or when its
 * parent goes away (stdin closes).
 *
 * The control server (loopback, its own port) answers `POST /reset` (start a new measuring window) and `GET /report`:
 * `{ maxMs, p99Ms, probeMaxGapMs, rssMb, heapUsedMb, externalMb }` for the window — the event-loop delay monitor's
 * largest and 99th percentile delay (resolution 10 ms), the largest lateness of a 5 ms interval timer, and the
 * process's memory now (RSS; the main thread's JavaScript heap in use; memory held outside it, such as Buffers).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createName, startServer } from "../../src/server/index.js";

const PROBE_MS = 5;

const dataDir = await mkdtemp(join(tmpdir(), "clawtell-bench-bodies-"));
const server = await startServer({ dataDir, port: 0 });
const alice = await createName(server.storage.directory, { name: "alice", email: "a@example.com" });
await createName(server.storage.directory, { name: "bob", email: "b@example.com" });

const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
let probeMaxGapMs = 0;
let lastTick = performance.now();
setInterval(() => {
  const now = performance.now();
  probeMaxGapMs = Math.max(probeMaxGapMs, now - lastTick - PROBE_MS);
  lastTick = now;
}, PROBE_MS);

const control = createServer((request, response) => {
  request.resume();
  if (request.method === "POST" && request.url === "/reset") {
    histogram.reset();
    probeMaxGapMs = 0;
    lastTick = performance.now();
    response.end("{}");
    return;
  }
  const report = {
    maxMs: histogram.max / 1e6,
    p99Ms: histogram.percentile(99) / 1e6,
    probeMaxGapMs,
    rssMb: process.memoryUsage.rss() / 1024 / 1024,
    heapUsedMb: process.memoryUsage().heapUsed / 1024 / 1024,
    externalMb: process.memoryUsage().external / 1024 / 1024,
  };
  response.setHeader("content-type", "application/json");
  response.end(JSON.stringify(report));
});
await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
const address = control.address();
const controlPort = typeof address === "object" && address !== null ? address.port : 0;

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  control.close();
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.stdin.on("end", () => void stop());
process.stdin.resume();

process.stdout.write(`listening on ${server.url} control http://127.0.0.1:${controlPort} key ${alice.apiKey}\n`);
