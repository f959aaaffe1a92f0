/**
 * A child process of the scale-out benchmark: parks N idle connections of one kind on a server, either long polls
 * (`timeout=30`, the longest a poll may wait, issued again when they return, as clients do) or SSE streams
 * (`timeout=3600`), so that per-connection memory can be read for each kind. Like idle-parker.ts otherwise.
 * Run with Node 24 type stripping: `node bench/lib/scale-out-parker.ts <url> <key> <count> <poll|stream>`.
 * Prints `parked <n>` once the sockets are open; exits on SIGTERM or when its parent goes away (stdin closes).
 */
import { Agent, request, type ClientRequest } from "node:http";

const [url = "", key = "", countText = "0", mode = "poll"] = process.argv.slice(2);
const count = Number(countText);
const RAMP_BATCH = 500;
const RAMP_PAUSE_MS = 100;
const OPEN_DEADLINE_MS = 60_000;
const PATH = mode === "stream" ? "/v1/stream?timeout=3600" : "/api/messages/poll?timeout=30";

const target = new URL(url);
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
const open = new Set<ClientRequest>();
let stopped = false;
let failures = 0;

/** Issues one idle request; a long poll that returns (at its timeout) is issued again on the same socket. */
function issue(): void {
  if (stopped) return;
  const req = request({ host: target.hostname, port: target.port, path: PATH, agent, headers: { authorization: `Bearer ${key}` } }, (res) => {
    res.resume();
    res.on("end", () => {
      open.delete(req);
      if (mode === "poll") issue();
    });
  });
  req.on("error", () => {
    failures++;
    open.delete(req);
  });
  req.end();
  open.add(req);
}

const socketCount = (): number => Object.values(agent.sockets).reduce((sum, list) => sum + (list?.length ?? 0), 0);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function stop(): void {
  stopped = true;
  for (const req of open) req.destroy();
  agent.destroy();
  process.exit(0);
}
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.resume();

for (let i = 0; i < count; i++) {
  issue();
  if (i % RAMP_BATCH === RAMP_BATCH - 1) await sleep(RAMP_PAUSE_MS);
}
const deadline = Date.now() + OPEN_DEADLINE_MS;
while (socketCount() < count && Date.now() < deadline) await sleep(100);
process.stdout.write(`parked ${socketCount()} (failures ${failures})\n`);
