// Operations endpoints of the real server over HTTP: liveness, readiness (503 once the storage is closed), and the
// Prometheus metrics, whose counters follow a send → receive → ack and whose text parses as the exposition format.
import { afterEach, describe, expect, it } from "vitest";
import { createManualClock } from "../../../src/infra/index.js";
import { readStream } from "../../helpers/sse.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text exposition format (0.0.4) strictly enough to catch malformed output; throws on a bad line. */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  expect(text.endsWith("\n")).toBe(true);
  for (const line of text.slice(0, -1).split("\n")) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type !== null) {
      expect(types.has(type[1] ?? "")).toBe(false);
      types.set(type[1] ?? "", type[2] ?? "");
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (sample === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const labelText = sample[3] ?? "";
    const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
    let consumed = 0;
    for (let m = pair.exec(labelText); m !== null; m = pair.exec(labelText)) {
      labels[m[1] ?? ""] = (m[2] ?? "").replace(/\\n/g, "\n").replace(/\\(.)/g, "$1");
      consumed = pair.lastIndex;
    }
    expect(consumed).toBe(labelText.length);
    const raw = sample[4] ?? "";
    const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw);
    if (Number.isNaN(value) && raw !== "NaN") throw new Error(`not a value: ${line}`);
    const name = sample[1] ?? "";
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, "");
    expect(types.has(family), `${name} has a # TYPE line before it`).toBe(true);
    samples.push({ name, labels, value });
  }
  return { types, samples };
}

async function scrape(server: { url: string }): Promise<{ types: Map<string, string>; samples: Sample[]; contentType: string | null }> {
  const response = await fetch(`${server.url}/metrics`);
  expect(response.status).toBe(200);
  return { ...parseExposition(await response.text()), contentType: response.headers.get("content-type") };
}

function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("health and readiness", () => {
  it("answers /healthz and /readyz without a key, and /health as before", async () => {
    server = await startTestServer();
    expect(await api(server, "GET", "/healthz")).toMatchObject({ status: 200, body: { ok: true } });
    expect(await api(server, "GET", "/readyz")).toMatchObject({ status: 200, body: { ready: true } });
    expect(await api(server, "GET", "/health")).toMatchObject({ status: 200, body: { ok: true, waiting: 0 } });
  });

  it("answers /readyz with 503 CT_UNAVAILABLE naming the storage once the storage is closed, while /healthz stays 200", async () => {
    server = await startTestServer();
    await server.storage.close();
    const ready = await api(server, "GET", "/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ statusCode: 503, code: "CT_UNAVAILABLE", ready: false, down: ["storage"] });
    expect(await api(server, "GET", "/healthz")).toMatchObject({ status: 200, body: { ok: true } });
  });
});

describe("metrics", () => {
  it("serves the exposition format, and its counters follow a send, a receive and an ack", async () => {
    server = await startTestServer();
    const alice = await server.createName("alice", "a@example.com");
    const bob = await server.createName("bob", "b@example.com");
    const before = await scrape(server);
    expect(before.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(before.types.get("clawtell_messages_sent_total")).toBe("counter");
    expect(before.types.get("clawtell_http_request_duration_seconds")).toBe("histogram");
    expect(before.types.get("clawtell_parked_connections")).toBe("gauge");
    const sendRoute = { method: "POST", route: "/api/messages/send" };
    const sendsTimedBefore = valueOf(before.samples, "clawtell_http_request_duration_seconds_count", sendRoute) ?? 0;

    expect(valueOf(before.samples, "clawtell_queue_depth")).toBe(0);
    expect((await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: "hi" } })).status).toBe(200);
    expect(valueOf((await scrape(server)).samples, "clawtell_queue_depth")).toBe(1);
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    const ids = (polled.body["messages"] as Array<{ id: string }>).map((m) => m.id);
    expect(ids).toHaveLength(1);
    expect((await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: ids } })).status).toBe(200);

    const after = await scrape(server);
    const moved = (name: string): number => (valueOf(after.samples, name) ?? 0) - (valueOf(before.samples, name) ?? 0);
    expect(moved("clawtell_messages_sent_total")).toBe(1);
    expect(moved("clawtell_messages_delivered_total")).toBe(1);
    expect(moved("clawtell_messages_acked_total")).toBe(1);
    expect(valueOf(after.samples, "clawtell_queue_depth")).toBe(0);
    expect(valueOf(after.samples, "clawtell_http_request_duration_seconds_count", sendRoute)).toBe(sendsTimedBefore + 1);

    // Every histogram series: buckets never decrease, and the +Inf bucket equals the count.
    const series = after.samples.filter((s) => s.name === "clawtell_http_request_duration_seconds_bucket");
    const keys = new Set(series.map((s) => `${s.labels["method"]} ${s.labels["route"]}`));
    for (const key of keys) {
      const [method = "", route = ""] = key.split(" ");
      const buckets = series.filter((s) => s.labels["method"] === method && s.labels["route"] === route);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]?.value ?? 0).toBeGreaterThanOrEqual(buckets[i - 1]?.value ?? 0);
      expect(buckets.at(-1)?.labels["le"]).toBe("+Inf");
      expect(buckets.at(-1)?.value).toBe(valueOf(after.samples, "clawtell_http_request_duration_seconds_count", { method, route }));
    }
  });

  it("counts a message handed out again after its lease ended as a lease expiry", async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    server = await startTestServer({ clock, visibilityTimeoutMs: 1_000 });
    const alice = await server.createName("alice", "a@example.com");
    const bob = await server.createName("bob", "b@example.com");
    await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: "hi" } });
    const first = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    expect(first.body["count"]).toBe(1);
    const expiredBefore = valueOf((await scrape(server)).samples, "clawtell_messages_redelivered_total", { reason: "lease_expired" });
    expect(expiredBefore).toBe(0);

    await clock.advance(1_001);
    const again = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    expect(again.body["count"]).toBe(1);
    const after = (await scrape(server)).samples;
    expect(valueOf(after, "clawtell_messages_redelivered_total", { reason: "lease_expired" })).toBe(1);
    expect(valueOf(after, "clawtell_messages_delivered_total")).toBe(2);
  });

  it("counts a message handed out again before its lease ended (a stream resuming with Last-Event-ID) as released", async () => {
    server = await startTestServer();
    const alice = await server.createName("alice", "a@example.com");
    const bob = await server.createName("bob", "b@example.com");
    const first = await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: "one" } });
    const second = await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: "two" } });
    expect((await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey })).body["count"]).toBe(2);

    const stream = await readStream(server, bob.apiKey, {
      query: "timeout=5",
      lastEventId: String(first.body["messageId"]),
      stopWhen: (events) => events.some((e) => e.event === "message"),
    });
    expect(stream.events.find((e) => e.event === "message")?.id).toBe(second.body["messageId"]);
    const after = (await scrape(server)).samples;
    expect(valueOf(after, "clawtell_messages_redelivered_total", { reason: "released" })).toBe(1);
    expect(valueOf(after, "clawtell_messages_redelivered_total", { reason: "lease_expired" })).toBe(0);
  });

  it("shows a waiting long poll as a parked connection", async () => {
    server = await startTestServer();
    const bob = await server.createName("bob", "b@example.com");
    const controller = new AbortController();
    const poll = fetch(`${server.url}/api/messages/poll?timeout=30`, { headers: { authorization: `Bearer ${bob.apiKey}` }, signal: controller.signal }).catch(() => undefined);
    try {
      let parked: number | undefined = 0;
      for (let tries = 0; tries < 200 && parked !== 1; tries++) {
        parked = valueOf((await scrape(server)).samples, "clawtell_parked_connections");
        if (parked !== 1) await new Promise((r) => setTimeout(r, 25));
      }
      expect(parked).toBe(1);
    } finally {
      controller.abort();
      await poll;
    }
  });

  it("serves no /metrics when metrics are off, and readiness still answers", async () => {
    server = await startTestServer({ metrics: false });
    expect((await api(server, "GET", "/metrics")).status).toBe(404);
    expect(await api(server, "GET", "/readyz")).toMatchObject({ status: 200, body: { ready: true } });
  });
});
