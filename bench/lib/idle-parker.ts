/**
 * A child process of the idle-connection benchmark: parks N idle connections on a server (long polls, and SSE
 * streams when asked), so the process that measures latency holds only a few sockets and is not slowed by them.
 * Run with Node 24 type stripping: `node bench/lib/idle-parker.ts <url> <key> <count> <poll|mixed>`.
 * Prints `parked <n>` once the sockets are open; exits on SIGTERM or when its parent goes away (stdin closes).
 */
import { Agent, request, type ClientRequest } from "node:http";

const [url = "", key = "", countText = "0", mode = "poll"] = process.argv.slice(2);
const count = Number(countText);
const RAMP_BATCH = 500;
const RAMP_PAUSE_MS = 100;
const OPEN_DEADLINE_MS = 60_000;

const target = new URL(url);
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
const open = new Set<ClientRequest>();
let stopped = false;
let failures = 0;

/** Issues one idle request; a long poll that returns (at its timeout) is issued again on the same socket. */
function issue(path: string, again: boolean): void {
  if (stopped) return;
  const req = request(
    { host: target.hostname, port: target.port, path, agent, headers: { authorization: `Bearer ${key}` } },
    (res) => {
      res.resume();
      res.on("end", () => {
        open.delete(req);
        if (again) issue(path, again);
      });
    },
  );
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
  const stream = mode === "mixed" && i % 2 === 1;
  issue(stream ? "/v1/stream?timeout=600" : "/api/messages/poll?timeout=30", !stream);
  if (i % RAMP_BATCH === RAMP_BATCH - 1) await sleep(RAMP_PAUSE_MS);
}
// Long polls answer only at their timeout, so count open sockets rather than responses.
const deadline = Date.now() + OPEN_DEADLINE_MS;
while (socketCount() < count && Date.now() < deadline) await sleep(100);
process.stdout.write(`parked ${socketCount()} (failures ${failures})\n`);
