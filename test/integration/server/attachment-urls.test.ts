// Attachments sent by `url`: fetched by the server through its outgoing guard, capped at 25 MiB while they stream,
// judged by their first bytes, and nothing of a send kept when one of its files fails.
import { createHash, randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, type Dispatcher } from "undici";
import { MAX_ATTACHMENT_BYTES } from "../../../src/protocol/index.js";
import type { CreatedName } from "../../../src/server/index.js";
import { createGuardedDispatcher } from "../../../src/server/outbound/index.js";
import { startHttpStub, type HttpStub } from "../../helpers/http-stub.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

interface AttachmentRef {
  fileId: string;
  filename: string;
  mime_type: string;
}

const pdf = Buffer.concat([Buffer.from("%PDF-1.7\n"), randomBytes(300_000)]);
const program = Buffer.concat([Buffer.from([0x4d, 0x5a, 0x90, 0x00]), randomBytes(5_000)]);
const CHUNK = Buffer.alloc(64 * 1024, 0x41);

/** Writes `total` bytes of 'A' in 64 KiB chunks as the reader takes them; answers how many were written. */
function streamBytes(res: ServerResponse, total: number, written: { bytes: number }): void {
  const next = (): void => {
    while (written.bytes < total && !res.destroyed) {
      const piece = CHUNK.subarray(0, Math.min(CHUNK.length, total - written.bytes));
      written.bytes += piece.length;
      if (!res.write(piece)) {
        res.once("drain", next);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  next();
}

/** The loopback file server the attachments are fetched from. */
async function startFileServer(): Promise<HttpStub & { hugeWritten: { bytes: number } }> {
  const hugeWritten = { bytes: 0 };
  const stub = await startHttpStub((req, res) => {
    const url = new URL(req.url ?? "/", "http://files");
    const send = (type: string, body: Buffer): void => {
      res.writeHead(200, { "content-type": type, "content-length": body.length });
      res.end(body);
    };
    if (url.pathname === "/docs/report%20(final).pdf") return send("application/pdf", pdf);
    if (url.pathname === "/holiday.png") return send("image/png", program);
    if (url.pathname === "/tool") return send("application/octet-stream", Buffer.from("plain bytes"));
    if (url.pathname === "/exact.zip") {
      res.writeHead(200, { "content-type": "application/zip" });
      return streamBytes(res, MAX_ATTACHMENT_BYTES, { bytes: 0 });
    }
    if (url.pathname === "/huge.zip") {
      // No Content-Length: only counting while it streams can stop it.
      res.writeHead(200, { "content-type": "application/zip" });
      return streamBytes(res, 4 * MAX_ATTACHMENT_BYTES, hugeWritten);
    }
    if (url.pathname === "/redirect") {
      res.writeHead(302, { location: url.searchParams.get("to") ?? "/" });
      return res.end();
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("no such file");
  });
  return Object.assign(stub, { hugeWritten });
}

const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

async function downloadDigest(server: TestServer, key: string, fileId: string): Promise<{ sha256: string; size: number; type: string | null }> {
  const link = await api(server, "GET", `/api/files/${fileId}`, { key });
  const response = await fetch(String(link.body["signedUrl"]));
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of response.body ?? []) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest("hex"), size, type: response.headers.get("content-type") };
}

describe("attachments by url, the guard opened by the server option", () => {
  let files: Awaited<ReturnType<typeof startFileServer>>;
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;

  beforeAll(async () => {
    files = await startFileServer();
    server = await startTestServer({ allowPrivateWebhooks: true });
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
  });
  afterAll(async () => {
    await server.close();
    await files.close();
  });

  const sendWith = (attachments: unknown[]) =>
    api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: "see attached", attachments } });
  const receive = async (): Promise<AttachmentRef[][]> => {
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    const messages = polled.body["messages"] as Array<{ id: string; attachments: AttachmentRef[] }>;
    await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: messages.map((m) => m.id) } });
    return messages.map((m) => m.attachments);
  };
  const storedFiles = async (): Promise<number> => (await server.files.listWrittenBefore(Number.MAX_SAFE_INTEGER)).length;

  it("fetches the file, names it from the URL and its type, and serves the same bytes back through the signed link", async () => {
    const before = await storedFiles();
    const sent = await sendWith([
      { url: `${files.url}/docs/report%20(final).pdf` },
      { url: `${files.url}/docs/report%20(final).pdf?v=2`, filename: "copy.txt", mime_type: "Text/Plain" },
    ]);
    expect(sent.status).toBe(200);
    const [refs = []] = await receive();
    expect(refs.map(({ filename, mime_type }) => ({ filename, mime_type }))).toEqual([
      { filename: "report (final).pdf", mime_type: "application/pdf" },
      { filename: "copy.txt", mime_type: "text/plain" },
    ]);
    expect(await downloadDigest(server, bob.apiKey, refs[0]?.fileId ?? "")).toEqual({ sha256: sha256(pdf), size: pdf.length, type: "application/pdf" });
    expect(await storedFiles()).toBe(before + 2);
  });

  it("takes a file of exactly 25 MiB, following a redirect, and gives it back whole", async () => {
    const sent = await sendWith([{ url: `${files.url}/redirect?to=/exact.zip`, filename: "exact.zip" }]);
    expect(sent.status).toBe(200);
    const [refs = []] = await receive();
    const expected = sha256(Buffer.alloc(MAX_ATTACHMENT_BYTES, 0x41));
    expect(await downloadDigest(server, bob.apiKey, refs[0]?.fileId ?? "")).toEqual({ sha256: expected, size: MAX_ATTACHMENT_BYTES, type: "application/zip" });
  });

  it("cuts off a file that grows past 25 MiB while it streams, and keeps nothing of the send", async () => {
    const before = await storedFiles();
    const sent = await sendWith([{ url: `${files.url}/docs/report%20(final).pdf` }, { url: `${files.url}/huge.zip` }]);
    expect(sent.status).toBe(413);
    expect(sent.body).toMatchObject({ code: "CT_PAYLOAD_TOO_LARGE", field: "attachments.1.url" });
    // The server stopped reading a little past the cap, long before the 100 MiB on offer were written.
    expect(files.hugeWritten.bytes).toBeLessThan(2 * MAX_ATTACHMENT_BYTES);
    expect(await receive()).toEqual([]);
    expect(await storedFiles()).toBe(before);
  });

  it("refuses a program however it is named and typed, an unknown type, a missing file, and more than 10 files", async () => {
    const before = await storedFiles();
    const asked = files.requests.length;
    const tooMany = await sendWith(Array.from({ length: 11 }, () => ({ url: `${files.url}/docs/report%20(final).pdf` })));
    expect([tooMany.status, tooMany.body["field"]]).toEqual([400, "attachments"]);
    expect(files.requests.length).toBe(asked);

    const cases: Array<[unknown, number, string]> = [
      [{ url: `${files.url}/holiday.png`, filename: "holiday.png", mime_type: "image/png" }, 400, "attachments.1.url"],
      [{ url: `${files.url}/tool` }, 400, "attachments.1.mime_type"],
      [{ url: `${files.url}/missing.pdf` }, 400, "attachments.1.url"],
      [{ url: `${files.url}/redirect?to=/redirect%3Fto%3D/redirect`, filename: "loop.pdf" }, 400, "attachments.1.url"],
    ];
    for (const [attachment, status, field] of cases) {
      const res = await sendWith([{ url: `${files.url}/docs/report%20(final).pdf` }, attachment]);
      expect({ field, status: res.status, answered: res.body["field"] }).toEqual({ field, status, answered: field });
    }
    expect(await receive()).toEqual([]);
    expect(await storedFiles()).toBe(before);
  });
});

describe("attachments by url, the guard closed", () => {
  let files: Awaited<ReturnType<typeof startFileServer>>;
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;
  let outbound: Dispatcher;
  let internet: Agent;
  /** A stand-in for a host on the internet: the file server under a public-looking name. */
  let publicOrigin: string;

  beforeAll(async () => {
    files = await startFileServer();
    const port = new URL(files.url).port;
    publicOrigin = `http://files.example.com:${port}`;
    // Requests to the stand-in host reach the file server; everything else goes through the closed guard.
    internet = new Agent({
      connect: {
        lookup: (_host, options, callback) =>
          options.all === true ? callback(null, [{ address: "127.0.0.1", family: 4 }]) : callback(null, "127.0.0.1", 4),
      },
    });
    outbound = createGuardedDispatcher().compose((dispatch) => (options, handler) =>
      options.origin?.toString() === publicOrigin ? internet.dispatch(options, handler) : dispatch(options, handler),
    );
    server = await startTestServer({ outbound });
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
  });
  afterAll(async () => {
    await server.close();
    await outbound.close();
    await internet.close();
    await files.close();
  });

  const sendWith = (attachments: unknown[]) =>
    api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: "see attached", attachments } });

  it("fetches from a public host", async () => {
    const sent = await sendWith([{ url: `${publicOrigin}/docs/report%20(final).pdf` }]);
    expect(sent.status).toBe(200);
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    expect((polled.body["messages"] as unknown[]).length).toBe(1);
    await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: [sent.body["messageId"]] } });
  });

  it("refuses loopback by name and by address, and a redirect from a public host to a private one, storing nothing", async () => {
    const before = (await server.files.listWrittenBefore(Number.MAX_SAFE_INTEGER)).length;
    const asked = files.requests.length;
    const port = new URL(files.url).port;
    const targets = [
      `http://localhost:${port}/docs/report%20(final).pdf`,
      `http://127.0.0.1:${port}/docs/report%20(final).pdf`,
      `http://[::ffff:127.0.0.1]:${port}/docs/report%20(final).pdf`,
      `${publicOrigin}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${port}/docs/report%20(final).pdf`)}`,
    ];
    for (const url of targets) {
      const res = await sendWith([{ url: `${publicOrigin}/docs/report%20(final).pdf` }, { url, filename: "report.pdf" }]);
      expect({ url, status: res.status, code: res.body["code"], field: res.body["field"] }).toEqual({ url, status: 403, code: "CT_FORBIDDEN", field: "attachments.1.url" });
      expect(String(res.body["error"])).toContain("the server does not call private addresses");
    }
    // Only the public host was asked: the first file of each send, and the redirect.
    expect(files.requests.slice(asked).map((r) => r.url.split("?")[0])).toEqual([
      "/docs/report%20(final).pdf",
      "/docs/report%20(final).pdf",
      "/docs/report%20(final).pdf",
      "/docs/report%20(final).pdf",
      "/redirect",
    ]);
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    expect(polled.body["messages"]).toEqual([]);
    expect((await server.files.listWrittenBefore(Number.MAX_SAFE_INTEGER)).length).toBe(before);
  });
});
