/**
 * A child process of the scale-out benchmark: parks N idle connections of one kind on a server, either long polls
 * (`timeout=30`, the longest a poll may wait, issued again when they return, as clients do) or SSE streams
 * (`timeout=3600`), so that per-connection memory can be read for each kind. Like idle-parker.ts otherwise.
 * Run with Node 24 type stripping: `node bench/lib/scale-out-parker.ts <url> <key> <count> <poll|stream>`.
 * Prints `parked <n>` once the sockets are open; exits on SIGTERM or when its parent goes away (stdin closes).
 * Every long poll and stream costs the server a few database queries as it opens, so they are opened in batches of
 * 250, each once the server's `clawtell_parked_connections` (/metrics) shows the previous ones waiting (at most 15 s).
 * A request answered with an error (503 while the database is busy) is issued again after 1–2 s, as a client backs off.
 */
import { Agent, request, type ClientRequest } from "node:http";

const [url = "", key = "", countText = "0", mode = "poll"] = process.argv.slice(2);
const count = Number(countText);
const RAMP_BATCH = 250;
const RAMP_WAIT_MS = 15_000;
const RETRY_MS = 1000;
const OPEN_DEADLINE_MS = 60_000;
const PATH = mode === "stream" ? "/v1/stream?timeout=3600" : "/api/messages/poll?timeout=30";

const target = new URL(url);
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
const open = new Set<ClientRequest>();
let stopped = false;
let failures = 0;
let refused = 0;

/** Issues one idle request; a long poll that returns (at its timeout) is issued again on the same socket. */
function issue(): void {
  if (stopped) return;
  const req = request({ host: target.hostname, port: target.port, path: PATH, agent, headers: { authorization: `Bearer ${key}` } }, (res) => {
    res.resume();
    const ok = res.statusCode === 200;
    if (!ok) refused++;
    res.on("end", () => {
      open.delete(req);
      if (ok && mode === "poll") issue();
      else if (!ok) setTimeout(issue, RETRY_MS + Math.random() * RETRY_MS);
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

/** The server's count of waiting long polls and streams (all kinds, all names). */
async function serverParked(): Promise<number> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(/^clawtell_parked_connections (\d+)/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const alreadyParked = await serverParked();
for (let i = 0; i < count; i++) {
  issue();
  if (i % RAMP_BATCH === RAMP_BATCH - 1 || i === count - 1) {
    const until = Date.now() + RAMP_WAIT_MS;
    while ((await serverParked()) < alreadyParked + (i + 1) * 0.98 && Date.now() < until) await sleep(50);
  }
}
const deadline = Date.now() + OPEN_DEADLINE_MS;
while (socketCount() < count && Date.now() < deadline) await sleep(100);
process.stdout.write(`parked ${socketCount()} (failures ${failures}, refused ${refused})\n`);
