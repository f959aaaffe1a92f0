// Large sends whose base64 attachments are streamed to the file store while the body arrives: the files arrive
// intact, every limit is enforced on the way in with the field named, and a refused, broken off or rejected send
// leaves no file behind. (That memory stays flat is shown by bench/server-attachment-memory.ts, not here.)
import { createHash, randomBytes } from "node:crypto";
import { readdir } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CreatedName } from "../../../src/server/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

const MIB = 1024 * 1024;
const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

/** Random bytes that start as a PNG does (so no executable signature matches by chance). */
function pngLike(size: number): Buffer {
  const bytes = randomBytes(size);
  Buffer.from([0x89, 0x50, 0x4e, 0x47]).copy(bytes);
  return bytes;
}

describe("large sends with attachments streamed to disk", () => {
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;

  beforeEach(async () => {
    server = await startTestServer();
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
  });
  afterEach(async () => server.close());

  /** Every file the store holds, finished or being written (the embedded backend's temporary files as well). */
  const filesLeft = async (): Promise<string[]> => {
    if (server.backend !== "embedded") return server.files.listWrittenBefore(Number.MAX_SAFE_INTEGER);
    return readdir(join(server.dataDir, "files")).catch(() => []);
  };

  /** POSTs raw body text (no re-encoding), with a Content-Length unless `chunked`. */
  const post = async (text: string | Buffer, options: { chunked?: boolean; key?: string; headers?: Record<string, string> } = {}) => {
    const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
    const body = options.chunked === true ? Readable.from((function* () {
      for (let at = 0; at < bytes.length; at += MIB) yield bytes.subarray(at, at + MIB);
    })()) : bytes;
    const response = await fetch(`${server.url}/api/messages/send`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${options.key ?? alice.apiKey}`, ...options.headers },
      body,
      ...(options.chunked === true ? { duplex: "half" } : {}),
    } as RequestInit);
    const answer = await response.text();
    return { status: response.status, body: (answer === "" ? {} : JSON.parse(answer)) as Record<string, unknown> };
  };
  const sendText = (attachments: string[], extra = ""): string => `{"to":"bob","body":"see attached"${extra},"attachments":[${attachments.join(",")}]}`;
  const dataItem = (base64: string, filename = "photo.png", type = "image/png"): string => `{"filename":"${filename}","mime_type":"${type}","data":"${base64}"}`;

  const receivedFiles = async (): Promise<Array<{ fileId: string; filename: string }>> => {
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    return (polled.body["messages"] as Array<{ attachments: Array<{ fileId: string; filename: string }> }>)[0]?.attachments ?? [];
  };
  const download = async (fileId: string): Promise<Buffer> => {
    const link = await api(server, "GET", `/api/files/${fileId}`, { key: bob.apiKey });
    return Buffer.from(await (await fetch(String(link.body["signedUrl"]))).arrayBuffer());
  };

  it("delivers a 20 MiB file sent in base64 intact, beside a small one, with Content-Length and chunked", async () => {
    const big = pngLike(20 * MIB);
    const small = Buffer.from("a few words\n");
    const text = sendText([dataItem(big.toString("base64")), dataItem(small.toString("base64"), "notes.txt", "text/plain")]);
    for (const chunked of [false, true]) {
      const sent = await post(text, { chunked });
      expect(sent.status).toBe(200);
      const files = await receivedFiles();
      expect(files.map((f) => f.filename)).toEqual(["photo.png", "notes.txt"]);
      expect(sha256(await download(files[0]?.fileId ?? ""))).toBe(sha256(big));
      expect((await download(files[1]?.fileId ?? "")).equals(small)).toBe(true);
      await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: [sent.body["messageId"]] } });
    }
  });

  it("takes base64 with escaped slashes, and keys in any order", async () => {
    const file = pngLike(300 * 1024);
    const escaped = file.toString("base64").replaceAll("/", "\\/");
    const sent = await post(`{"attachments":[{"data":"${escaped}","mime_type":"image/png","filename":"a.png"}],"body":"x","to":"bob"}`);
    expect(sent.status).toBe(200);
    const [ref] = await receivedFiles();
    expect((await download(ref?.fileId ?? "")).equals(file)).toBe(true);
  });

  it("refuses each limit on the way in, naming the field, and keeps no file", async () => {
    const file = pngLike(300 * 1024).toString("base64");
    const exe = Buffer.concat([Buffer.from("MZ"), randomBytes(400 * 1024)]).toString("base64");
    const cases: Array<[string, number, string]> = [
      [sendText(Array.from({ length: 11 }, () => dataItem(file))), 400, "attachments"],
      [sendText([dataItem(file), dataItem(pngLike(26 * MIB).toString("base64"))]), 413, "attachments.1.data"],
      [sendText([dataItem(exe, "report.pdf", "application/pdf")]), 400, "attachments.0.data"],
      [sendText([dataItem(`${file.slice(0, 200_000)}!${file.slice(200_001)}`)]), 400, "attachments.0.data"],
      [sendText([dataItem(file.slice(0, -1))]), 400, "attachments.0.data"],
      [sendText([dataItem(`${file.slice(0, 100)}\\n${file.slice(102)}`)]), 400, "attachments.0.data"],
      // The file is fine, the rest of the body is not: refused by validation after the file was saved.
      [sendText([dataItem(file, "../etc/passwd")]), 400, "attachments.0.filename"],
      [sendText([dataItem(file), `{"url":"ftp://example.com/a.png"}`]), 400, "attachments.1.url"],
      [sendText([dataItem(file)], `,"attachments":[]`), 400, "attachments"],
      [sendText([dataItem(file)], `,"body":"${"x".repeat(700 * 1024)}"`), 413, "body"],
      [`${sendText([dataItem(file)])}]`, 400, "body"],
      [sendText([dataItem(file)]).slice(0, -2), 400, "body"],
    ];
    for (const [text, status, field] of cases) {
      const sent = await post(text);
      expect({ field, status: sent.status, answered: sent.body["field"] }).toEqual({ field, status, answered: field });
      // Removed with the answer: once the connection's request is over, at the latest.
      await vi.waitFor(async () => expect(await filesLeft()).toEqual([]));
    }
    // Refused after validation, by the handler: an unknown recipient.
    const nobody = await post(sendText([dataItem(file)]).replace('"to":"bob"', '"to":"nobody"'));
    expect(nobody.status).toBe(404);
    await vi.waitFor(async () => expect(await filesLeft()).toEqual([]));
    expect(await receivedFiles()).toEqual([]);
  });

  it("answers a replay under an Idempotency-Key with the first answer, keeping one copy of the file", async () => {
    const text = sendText([dataItem(pngLike(400 * 1024).toString("base64"))]);
    const headers = { "idempotency-key": "big-send-1" };
    const first = await post(text, { headers });
    const again = await post(text, { headers });
    expect(first.status).toBe(200);
    expect(again.body["messageId"]).toBe(first.body["messageId"]);
    const other = await post(sendText([dataItem(pngLike(400 * 1024).toString("base64"))]), { headers });
    expect(other.status).toBe(409);
    await vi.waitFor(async () => expect(await filesLeft()).toHaveLength(1));

    // A small send compares the same whether it streamed (no Content-Length) or was read whole.
    const small = sendText([dataItem(pngLike(1000).toString("base64"))]);
    const streamed = await post(small, { chunked: true, headers: { "idempotency-key": "small-send-1" } });
    const whole = await post(small, { headers: { "idempotency-key": "small-send-1" } });
    expect(streamed.status).toBe(200);
    expect(whole.body["messageId"]).toBe(streamed.body["messageId"]);
  });

  it("reads a body refused on the way in only up to a bound, then cuts the connection", async () => {
    // A raw socket, so the client goes on sending after the answer (node's own client stops writing once it has one).
    const head = `{"to":"bob","body":"x","attachments":[{"filename":"a.pdf","mime_type":"application/pdf","data":"${Buffer.concat([Buffer.from("MZ"), randomBytes(MIB)]).toString("base64")}`;
    const filler = "A".repeat(MIB);
    const total = 200 * MIB;
    const chunk = (text: string): string => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
    const url = new URL(server.url);
    const outcome = await new Promise<{ answer: string; written: number }>((resolve) => {
      let written = 0;
      let answer = "";
      const socket = connect(Number(url.port), url.hostname);
      socket.on("data", (data: Buffer) => (answer += data.toString()));
      socket.on("error", () => undefined);
      socket.once("close", () => resolve({ answer, written }));
      socket.write(
        `POST /api/messages/send HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nAuthorization: Bearer ${alice.apiKey}\r\nTransfer-Encoding: chunked\r\n\r\n`,
      );
      const pump = (): void => {
        while (written < total && !socket.destroyed) {
          const text = written === 0 ? head : filler;
          written += text.length;
          if (!socket.write(chunk(text))) {
            socket.once("drain", pump);
            return;
          }
        }
        // Sent it all: the server read every byte (what this test says it must not); let it answer and close.
        if (!socket.destroyed) socket.end("0\r\n\r\n");
      };
      pump();
    });
    expect(outcome.answer).toMatch(/^HTTP\/1\.1 400 [^]*"field":"attachments\.0\.data"/);
    expect(outcome.written).toBeLessThan(total);
    await vi.waitFor(async () => expect(await filesLeft()).toEqual([]));
    expect((await post(sendText([dataItem(pngLike(300 * 1024).toString("base64"))]))).status).toBe(200);
  });

  it("keeps no file of an upload that breaks off in the middle of a file", async () => {
    const url = new URL(`${server.url}/api/messages/send`);
    const head = `{"to":"bob","body":"x","attachments":[{"filename":"a.png","mime_type":"image/png","data":"`;
    const part = pngLike(3 * MIB).toString("base64");
    let client: ReturnType<typeof httpRequest> | undefined;
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: { "content-type": "application/json", "content-length": 30 * MIB, authorization: `Bearer ${alice.apiKey}` },
      });
      client = req;
      req.on("error", () => resolve());
      req.write(head);
      req.write(part, () => resolve());
    });
    // The file is being written (the embedded backend shows its temporary file) when the upload breaks off.
    if (server.backend === "embedded") await vi.waitFor(async () => expect(await filesLeft()).toHaveLength(1), { timeout: 10_000 });
    client?.destroy();
    await vi.waitFor(async () => expect(await filesLeft()).toEqual([]), { timeout: 10_000 });
    // The server goes on serving.
    expect((await post(sendText([dataItem(pngLike(300 * 1024).toString("base64"))]))).status).toBe(200);
  });
});
