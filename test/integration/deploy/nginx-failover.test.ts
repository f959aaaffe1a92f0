// The shipped nginx config (deploy/nginx/clawtell.conf) in front of two `clawtell server --database` processes on
// one private PostgreSQL (wake-ups through a private Redis): the process holding a client's stream is killed by its
// PID; the client's reconnect through the proxy, with Last-Event-ID, lands on the other process and gets every
// message it had not handled, those the dead process had handed out included, and those sent meanwhile.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerProcess } from "../../helpers/cli-process.js";
import { call, killByPid, messagesIn, openStream, servicesOrSkip, startFleet, until, waitForParked, type Fleet, type Services } from "../scale-out/cluster.js";

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
const noNginx = missing();
if (noNginx !== undefined) process.stderr.write(`nginx-failover.test.ts: skipping: ${noNginx}\n`);
const services: Services | undefined = noNginx === undefined ? await servicesOrSkip("nginx-failover.test.ts") : undefined;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

function replaceExactly(text: string, from: string, to: string): string {
  expect(text.split(from).length - 1, `shipped config has "${from}"`).toBe(1);
  return text.split(from).join(to);
}

describe.skipIf(services === undefined)("nginx in front of two postgres-backed processes, one killed under a stream", () => {
  let dir: string;
  let nginx: ChildProcess | undefined;
  let nginxExit: Promise<number | null> | undefined;
  let proxyUrl: string;
  let agent: Agent;
  let fleet: Fleet;
  let aliceKey: string;
  let bobKey: string;

  beforeAll(async () => {
    if (services === undefined) return;
    dir = await mkdtemp(join(tmpdir(), "clawtell-nginx-pg-"));
    // nginx's workers may run as another user than the test: they need to reach the temp folder.
    await chmod(dir, 0o755);
    fleet = await startFleet({ database: await services.database("nginx"), redis: services.redis.url, count: 2 });
    aliceKey = await fleet.name("alice");
    bobKey = await fleet.name("bob");
    const [a, b] = fleet.processes as [ServerProcess, ServerProcess];

    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
      "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert,
    ], { stdio: "ignore" });
    agent = new Agent({ connect: { ca: await readFile(cert, "utf8") } });

    const [httpsPort, httpPort] = [await freePort(), await freePort()];
    let conf = await readFile(SHIPPED, "utf8");
    conf = replaceExactly(conf, "server 127.0.0.1:8787 ", `server 127.0.0.1:${new URL(a.url).port} `);
    conf = replaceExactly(conf, "server 127.0.0.1:8788 ", `server 127.0.0.1:${new URL(b.url).port} `);
    conf = replaceExactly(conf, "listen 443 ssl;", `listen 127.0.0.1:${httpsPort} ssl;`);
    conf = replaceExactly(conf, "listen 80;", `listen 127.0.0.1:${httpPort};`);
    conf = replaceExactly(conf, "/etc/letsencrypt/live/clawtell.example.com/fullchain.pem", cert);
    conf = replaceExactly(conf, "/etc/letsencrypt/live/clawtell.example.com/privkey.pem", key);
    await writeFile(join(dir, "clawtell.conf"), conf);
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
    nginx = spawn(NGINX, ["-p", `${dir}/`, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    nginx.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    nginxExit = new Promise((r) => nginx?.once("exit", (code) => r(code)));
    proxyUrl = `https://127.0.0.1:${httpsPort}`;
    const up = await until(async () => nginx?.exitCode !== null || (await call(proxyUrl, "GET", "/healthz", { dispatcher: agent })).status === 200, 10_000);
    if (!up || nginx.exitCode !== null) throw new Error(`nginx did not start: ${stderr}${await readFile(join(dir, "error.log"), "utf8").catch(() => "")}`);
  }, 60_000);

  afterAll(async () => {
    if (nginx !== undefined && nginx.exitCode === null) {
      nginx.kill("SIGQUIT");
      await nginxExit;
    }
    try {
      await fleet?.close();
      await agent?.close();
    } finally {
      await services?.dispose();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    }
  });

  it("resumes the stream on the other process with Last-Event-ID and gets every unhandled message", { timeout: 60_000 }, async () => {
    const viaProxy = { dispatcher: agent };
    const send = async (body: string): Promise<string> => {
      const sent = await call(proxyUrl, "POST", "/api/messages/send", { key: aliceKey, body: { to: "bob", body }, ...viaProxy });
      expect(sent.status, JSON.stringify(sent.body)).toBe(200);
      return String(sent.body["messageId"]);
    };
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await send(`before ${i}`));

    const first = await openStream(proxyUrl, bobKey, { query: "timeout=120", ...viaProxy });
    let holder: ServerProcess;
    let survivor: ServerProcess;
    try {
      expect(first.status).toBe(200);
      expect((await first.nextMessages(5)).map((e) => e.id)).toEqual(ids);
      // Which process holds the stream: the one with a parked connection.
      const [a, b] = fleet.processes as [ServerProcess, ServerProcess];
      const parked = async (p: ServerProcess): Promise<number> => Number((await call(p.url, "GET", "/health")).body["waiting"]);
      let onA = 0;
      const found = await until(async () => {
        onA = await parked(a);
        return onA + (await parked(b)) === 1;
      });
      expect(found).toBe(true);
      [holder, survivor] = onA === 1 ? [a, b] : [b, a];
      // The client handled and acked the first three; then the process holding its stream is killed.
      expect((await call(proxyUrl, "POST", "/api/messages/ack", { key: bobKey, body: { messageIds: ids.slice(0, 3) }, ...viaProxy })).body).toMatchObject({ acked: 3 });
      await killByPid(holder);
      expect(await until(() => first.ended())).toBe(true);
    } finally {
      await first.close();
    }
    // Sent while the client is away: they land on the surviving process.
    const meanwhile = [await send("meanwhile 0"), await send("meanwhile 1")];

    const resumed = await openStream(proxyUrl, bobKey, { query: "timeout=120", lastEventId: ids[2] ?? "", ...viaProxy });
    try {
      expect(resumed.status).toBe(200);
      const expected = [...ids.slice(3), ...meanwhile];
      expect((await resumed.nextMessages(expected.length)).map((e) => e.id)).toEqual(expected);
      expect(await waitForParked(survivor, 1)).toBe(1);
      // And it stays open for what comes next.
      const later = await send("later");
      expect((await resumed.nextMessages(expected.length + 1)).map((e) => e.id)).toEqual([...expected, later]);
      const acked = await call(proxyUrl, "POST", "/api/messages/ack", { key: bobKey, body: { messageIds: [...expected, later] }, ...viaProxy });
      expect(acked.body).toMatchObject({ acked: expected.length + 1 });
    } finally {
      await resumed.close();
    }
    expect(messagesIn(await call(proxyUrl, "GET", "/api/messages/poll?timeout=0", { key: bobKey, ...viaProxy }))).toEqual([]);
  });
});
