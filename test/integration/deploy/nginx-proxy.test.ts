// The shipped nginx config (deploy/nginx/clawtell.conf), run by the real nginx in front of two real `clawtell server`
// processes: requests reach both, a killed process is skipped, SSE events and long polls pass through while they are
// open, Last-Event-ID reaches the server, and a send with 25 MB of attachments fits. Only the config's ports and
// certificate paths are replaced; nginx runs unprivileged-style from a temp folder (-p, -c, daemon off).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_ATTACHMENT_BYTES } from "../../../src/protocol/index.js";
import { createName, openEmbeddedDirectory } from "../../../src/server/index.js";
import { startServerProcess, type ServerProcess } from "../../helpers/cli-process.js";
import { TEST_BCRYPT_COST } from "../../helpers/test-server.js";

const NGINX = "/usr/sbin/nginx";
const SHIPPED = resolve(import.meta.dirname, "../../../deploy/nginx/clawtell.conf");

function missing(): string | undefined {
  if (!existsSync(NGINX)) return `${NGINX} is not installed (apt-get install -y nginx)`;
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
  } catch {
    return "openssl is not installed (needed for the test certificate)";
  }
  return undefined;
}
const skipReason = missing();
if (skipReason !== undefined) process.stdout.write(`nginx-proxy.test.ts skipped: ${skipReason}\n`);

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

/** Replaces `from` with `to` in `text`, failing when the shipped config no longer has `from` exactly `count` times. */
function replaceExactly(text: string, from: string, to: string, count = 1): string {
  expect(text.split(from).length - 1, `shipped config has "${from}"`).toBe(count);
  return text.split(from).join(to);
}

interface Backend {
  process: ServerProcess;
  /** A name only this process's data folder has: `GET /api/names/<marker>` says which process answered. */
  marker: string;
}

let dir: string;
let nginx: ChildProcess | undefined;
let nginxExit: Promise<number | null> | undefined;
let proxyUrl: string;
let agent: Agent;
let a: Backend;
let b: Backend;
let aliceKey: string;
let bobKey: string;

async function call(
  base: string,
  method: "GET" | "POST",
  path: string,
  options: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await request(`${base}${path}`, {
    method,
    dispatcher: agent,
    headers: {
      "content-type": "application/json",
      ...(options.key === undefined ? {} : { authorization: `Bearer ${options.key}` }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  });
  const text = await response.body.text();
  const json = String(response.headers["content-type"]).startsWith("application/json");
  return { status: response.statusCode, body: json && text !== "" ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Which backend answered a request through the proxy. */
async function answeredBy(): Promise<"a" | "b"> {
  const res = await call(proxyUrl, "GET", `/api/names/${a.marker}`);
  expect([200, 404]).toContain(res.status);
  return res.status === 200 ? "a" : "b";
}

/** Waits (bounded) until the backends hold these numbers of parked connections; answers the last counts seen. */
async function waitForParked(want: (counts: [number, number]) => boolean): Promise<[number, number]> {
  let counts: [number, number] = [-1, -1];
  for (let tries = 0; tries < 400; tries++) {
    const [ha, hb] = await Promise.all([a, b].map((backend) => call(backend.process.url, "GET", "/health")));
    counts = [Number(ha?.body["waiting"]), Number(hb?.body["waiting"])];
    if (want(counts)) return counts;
    await new Promise((r) => setTimeout(r, 25));
  }
  return counts;
}

/** An SSE stream through the proxy; events are collected as they arrive and `next` waits for the n-th one. */
async function openStream(query: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await request(`${proxyUrl}/v1/stream?${query}`, {
    dispatcher: agent,
    headers: { authorization: `Bearer ${bobKey}`, ...headers },
    signal: controller.signal,
    bodyTimeout: 0,
  });
  const events: EventSourceMessage[] = [];
  const waiters: Array<() => void> = [];
  const parser = createParser({
    onEvent: (event) => {
      events.push(event);
      for (const wake of waiters.splice(0)) wake();
    },
  });
  let ended = false;
  const reading = (async () => {
    try {
      for await (const chunk of response.body) parser.feed((chunk as Buffer).toString("utf8"));
      ended = true;
    } catch {
      // Aborted by close().
    } finally {
      for (const wake of waiters.splice(0)) wake();
    }
  })();
  return {
    status: response.statusCode,
    headers: response.headers,
    events,
    ended: () => ended,
    /** The first `count` events, waiting up to `maxMs` for them. */
    async next(count: number, maxMs = 15_000): Promise<EventSourceMessage[]> {
      const deadline = Date.now() + maxMs;
      while (events.length < count && !ended && Date.now() < deadline) {
        await new Promise<void>((wake) => {
          const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
          waiters.push(() => {
            clearTimeout(timer);
            wake();
          });
        });
      }
      return events.slice(0, count);
    },
    async close(): Promise<void> {
      controller.abort();
      await reading;
    },
  };
}

describe.skipIf(skipReason !== undefined)("nginx in front of two server processes (deploy/nginx/clawtell.conf)", () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-nginx-"));
    // nginx's workers may run as another user than the test: they need to reach the temp folder.
    await chmod(dir, 0o755);

    // Both processes know alice and bob with the same keys (a copied data folder), and each one name of its own.
    const dataA = join(dir, "data-a");
    const dataB = join(dir, "data-b");
    const shared = openEmbeddedDirectory({ dataDir: dataA });
    aliceKey = (await createName(shared.directory, { name: "alice", email: "a@example.com" }, { bcryptCost: TEST_BCRYPT_COST })).apiKey;
    bobKey = (await createName(shared.directory, { name: "bob", email: "b@example.com" }, { bcryptCost: TEST_BCRYPT_COST })).apiKey;
    await shared.close();
    await cp(dataA, dataB, { recursive: true });
    for (const [dataDir, marker] of [[dataA, "marker-a"], [dataB, "marker-b"]] as const) {
      const own = openEmbeddedDirectory({ dataDir });
      await createName(own.directory, { name: marker, email: `${marker}@example.com` }, { bcryptCost: TEST_BCRYPT_COST });
      await own.close();
    }
    a = { process: await startServerProcess(dataA), marker: "marker-a" };
    b = { process: await startServerProcess(dataB), marker: "marker-b" };

    // A self-signed certificate for 127.0.0.1, trusted by this test's client only.
    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
      "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert,
    ], { stdio: "ignore" });
    agent = new Agent({ connect: { ca: await readFile(cert, "utf8") } });

    // The shipped config, with this test's ports and certificate in place of the example ones.
    const [httpsPort, httpPort] = [await freePort(), await freePort()];
    let conf = await readFile(SHIPPED, "utf8");
    conf = replaceExactly(conf, "server 127.0.0.1:8787 ", `server 127.0.0.1:${new URL(a.process.url).port} `);
    conf = replaceExactly(conf, "server 127.0.0.1:8788 ", `server 127.0.0.1:${new URL(b.process.url).port} `);
    conf = replaceExactly(conf, "listen 443 ssl;", `listen 127.0.0.1:${httpsPort} ssl;`);
    conf = replaceExactly(conf, "listen 80;", `listen 127.0.0.1:${httpPort};`);
    conf = replaceExactly(conf, "/etc/letsencrypt/live/clawtell.example.com/fullchain.pem", cert);
    conf = replaceExactly(conf, "/etc/letsencrypt/live/clawtell.example.com/privkey.pem", key);
    await writeFile(join(dir, "clawtell.conf"), conf);
    // What Debian's /etc/nginx/nginx.conf provides around conf.d/, with every path in the temp folder.
    await writeFile(
      join(dir, "nginx.conf"),
      [
        "daemon off;",
        "worker_processes 1;",
        `pid ${join(dir, "nginx.pid")};`,
        `error_log ${join(dir, "error.log")} warn;`,
        "events { worker_connections 256; }",
        "http {",
        `  access_log ${join(dir, "access.log")};`,
        ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((kind) => `  ${kind}_temp_path ${join(dir, `${kind}-temp`)};`),
        `  include ${join(dir, "clawtell.conf")};`,
        "}",
        "",
      ].join("\n"),
    );
    let stderr = "";
    nginx = spawn(NGINX, ["-p", `${dir}/`, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], { stdio: ["ignore", "ignore", "pipe"] });
    nginx.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    nginxExit = new Promise((r) => nginx?.once("exit", (code) => r(code)));
    let exited = false;
    void nginxExit.then(() => (exited = true));
    proxyUrl = `https://127.0.0.1:${httpsPort}`;
    // Until nginx answers (bounded), or has exited.
    let up = false;
    for (let tries = 0; tries < 200 && !up && !exited; tries++) {
      up = await call(proxyUrl, "GET", "/healthz").then(
        (res) => res.status === 200,
        () => false,
      );
      if (!up) await new Promise((r) => setTimeout(r, 50));
    }
    if (!up) {
      const log = await readFile(join(dir, "error.log"), "utf8").catch(() => "");
      throw new Error(`nginx did not start: ${stderr}${log}`);
    }
  }, 60_000);

  afterAll(async () => {
    if (nginx !== undefined && nginx.exitCode === null) {
      nginx.kill("SIGQUIT");
      await nginxExit;
    }
    for (const backend of [a, b]) if (backend?.process.child.exitCode === null) await backend.process.stop();
    await agent?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("sends requests to both processes", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 8 && seen.size < 2; i++) seen.add(await answeredBy());
    expect([...seen].sort()).toEqual(["a", "b"]);
    expect(await call(proxyUrl, "GET", "/readyz")).toEqual({ status: 200, body: { ready: true } });
  });

  it("refuses /metrics from outside: each process is scraped on its own port", async () => {
    expect((await call(proxyUrl, "GET", "/metrics")).status).toBe(404);
    expect((await call(a.process.url, "GET", "/metrics")).status).toBe(200);
  });

  it("passes Last-Event-ID on to the server", async () => {
    const stream = await openStream("timeout=30", { "last-event-id": "msg_resume_point" });
    try {
      expect(stream.status).toBe(200);
      const [connected] = await stream.next(1);
      expect(connected?.event).toBe("connected");
      expect(JSON.parse(connected?.data ?? "{}")).toMatchObject({ name: "bob", lastEventId: "msg_resume_point" });
    } finally {
      await stream.close();
    }
  });

  it("delivers a message on an SSE stream through the proxy while the stream stays open", async () => {
    expect(await waitForParked(([pa, pb]) => pa === 0 && pb === 0)).toEqual([0, 0]);
    const stream = await openStream("timeout=120");
    try {
      expect(stream.status).toBe(200);
      expect(String(stream.headers["content-type"])).toContain("text/event-stream");
      expect((await stream.next(1))[0]?.event).toBe("connected");
      // The process holding the stream (with the embedded backend, a message is delivered by the process it was sent to).
      const parked = await waitForParked(([pa, pb]) => pa + pb === 1);
      const holder = parked[0] === 1 ? a : b;
      const sent = await call(holder.process.url, "POST", "/api/messages/send", { key: aliceKey, body: { to: "bob", body: "through the proxy" } });
      expect(sent.status).toBe(200);
      const events = await stream.next(2);
      expect(events[1]?.event).toBe("message");
      expect(events[1]?.id).toBe(sent.body["messageId"]);
      expect(JSON.parse(events[1]?.data ?? "{}")).toMatchObject({ id: sent.body["messageId"], body: "through the proxy" });
      expect(stream.ended()).toBe(false);
      const acked = await call(holder.process.url, "POST", "/api/messages/ack", { key: bobKey, body: { messageIds: [sent.body["messageId"]] } });
      expect(acked.body).toMatchObject({ acked: 1 });
    } finally {
      await stream.close();
    }
  });

  it("answers a long poll through the proxy with a message sent during its wait", async () => {
    expect(await waitForParked(([pa, pb]) => pa === 0 && pb === 0)).toEqual([0, 0]);
    const poll = call(proxyUrl, "GET", "/api/messages/poll?timeout=30", { key: bobKey });
    const parked = await waitForParked(([pa, pb]) => pa + pb === 1);
    const holder = parked[0] === 1 ? a : b;
    const sent = await call(holder.process.url, "POST", "/api/messages/send", { key: aliceKey, body: { to: "bob", body: "while you waited" } });
    expect(sent.status).toBe(200);
    const answer = await poll;
    expect(answer.status).toBe(200);
    expect(answer.body["messages"]).toEqual([expect.objectContaining({ id: sent.body["messageId"], body: "while you waited" })]);
    await call(holder.process.url, "POST", "/api/messages/ack", { key: bobKey, body: { messageIds: [sent.body["messageId"]] } });
  });

  it("passes a send with 25 MB of attachments", { timeout: 120_000 }, async () => {
    const data = Buffer.alloc(MAX_ATTACHMENT_BYTES, "attachment ").toString("base64");
    const sent = await call(proxyUrl, "POST", "/api/messages/send", {
      key: aliceKey,
      body: { to: "bob", body: "a large file", attachments: [{ filename: "large.txt", mime_type: "text/plain", data }] },
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ success: true });
  });

  it("keeps answering when one process is killed", async () => {
    const pid = a.process.child.pid;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid ?? 0, "SIGKILL");
    await new Promise<void>((r) => (a.process.child.exitCode !== null || a.process.child.signalCode !== null ? r() : a.process.child.once("exit", () => r())));
    for (let i = 0; i < 6; i++) {
      expect(await answeredBy()).toBe("b");
      expect((await call(proxyUrl, "GET", "/readyz")).status).toBe(200);
    }
    const sent = await call(proxyUrl, "POST", "/api/messages/send", { key: aliceKey, body: { to: "bob", body: "after the failover" } });
    expect(sent.status).toBe(200);
  });
});
