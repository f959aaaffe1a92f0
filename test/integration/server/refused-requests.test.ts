// Requests the server refuses before any route: oversized bodies, malformed HTTP. Each answer must be readable by the
// client (no reset while it still sends), in the documented error shape, with Connection: close.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CreatedName } from "../../../src/server/index.js";
import { BODY_LIMIT_BYTES } from "../../../src/server/index.js";
import { SEND_BODY_LIMIT_BYTES } from "../../../src/server/routes/messages.js";
import { exchange, parseResponses } from "../../helpers/raw-http.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

/** A request head with a Content-Length, then the body (or its first `upTo` bytes) in 64 KiB pieces. */
function* upload(path: string, key: string, size: number, upTo = size): Generator<string | Buffer> {
  yield `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${key}\r\ncontent-length: ${size}\r\n\r\n`;
  const piece = Buffer.alloc(64 * 1024, 0x20);
  for (let sent = 0; sent < upTo; sent += piece.length) yield piece.subarray(0, Math.min(piece.length, upTo - sent));
}

describe("requests refused before a route", () => {
  let server: TestServer;
  let alice: CreatedName;

  beforeEach(async () => {
    server = await startTestServer();
    alice = await server.createName("alice", "alice@example.com");
    await server.createName("bob", "bob@example.com");
  });
  afterEach(async () => server.close());

  it("answers a body over the global limit with a 413 the client reads while it is still sending, then closes cleanly", async () => {
    const result = await exchange(server.url, upload("/api/messages/ack", alice.apiKey, BODY_LIMIT_BYTES + 4 * 1024 * 1024));
    expect(result.error).toBeUndefined();
    const [answer, ...more] = parseResponses(result.text);
    expect(more).toEqual([]);
    expect(answer?.status).toBe(413);
    expect(answer?.headers["connection"]).toBe("close");
    expect(JSON.parse(answer?.body ?? "{}")).toMatchObject({ statusCode: 413, code: "CT_PAYLOAD_TOO_LARGE", field: "body" });
    // The server is fine afterwards.
    expect((await api(server, "GET", "/api/me", { key: alice.apiKey })).status).toBe(200);
  });

  it("answers a send announced over the send limit with a 413 the client reads while it is still sending", async () => {
    // The send's limit is some 334 MB (ten files in base64): the body is announced past it, and only its first
    // 16 MiB are sent before the client stops writing (the parser then also refuses the cut-off request).
    const announced = SEND_BODY_LIMIT_BYTES + 4 * 1024 * 1024;
    const result = await exchange(server.url, upload("/api/messages/send", alice.apiKey, announced, 16 * 1024 * 1024));
    expect(result.error).toBeUndefined();
    const [answer] = parseResponses(result.text);
    expect(answer?.status).toBe(413);
    expect(answer?.headers["connection"]).toBe("close");
    expect(JSON.parse(answer?.body ?? "{}")).toMatchObject({ statusCode: 413, code: "CT_PAYLOAD_TOO_LARGE", field: "body" });
    expect((await api(server, "GET", "/api/me", { key: alice.apiKey })).status).toBe(200);
  });

  it("answers a chunked body that grows past the limit with a readable 413 as well", async () => {
    const huge = await exchange(server.url, upload("/api/messages/ack", alice.apiKey, BODY_LIMIT_BYTES + 4 * 1024 * 1024));
    expect(huge.error).toBeUndefined();
    const head = `POST /api/messages/ack HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${alice.apiKey}\r\ntransfer-encoding: chunked\r\n\r\n`;
    const chunk = `10000\r\n${" ".repeat(0x10000)}\r\n`;
    const pieces = [head, ...Array.from({ length: Math.ceil((BODY_LIMIT_BYTES * 4) / 0x10000) }, () => chunk), "0\r\n\r\n"];
    const result = await exchange(server.url, pieces);
    expect(result.error).toBeUndefined();
    const [answer] = parseResponses(result.text);
    expect(answer?.status).toBe(413);
    expect(answer?.headers["connection"]).toBe("close");
    expect(JSON.parse(answer?.body ?? "{}")).toMatchObject({ code: "CT_PAYLOAD_TOO_LARGE" });
  });

  it("answers a malformed request on a keep-alive connection with a 400 in the error shape, Connection: close, and a clean close", async () => {
    const good = `GET /health HTTP/1.1\r\nhost: x\r\n\r\n`;
    const result = await exchange(server.url, [good, { waitFor: 1 }, "GET /health HTTP/1.1\r\nhost: x\r\nbad header\r\n\r\n"]);
    expect(result.error).toBeUndefined();
    const responses = parseResponses(result.text);
    expect(responses.map((r) => r.status)).toEqual([200, 400]);
    expect(responses[1]?.headers["connection"]).toBe("close");
    expect(JSON.parse(responses[1]?.body ?? "{}")).toMatchObject({ statusCode: 400, code: "CT_BAD_REQUEST", error: expect.any(String) });
  });

  it("answers headers that are too large with a 431 in the error shape, and a HEAD's refusal without a body", async () => {
    const huge = `GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`;
    const refused = await exchange(server.url, [huge]);
    expect(refused.error).toBeUndefined();
    const [answer] = parseResponses(refused.text);
    expect(answer?.status).toBe(431);
    expect(answer?.headers["connection"]).toBe("close");
    expect(JSON.parse(answer?.body ?? "{}")).toMatchObject({ statusCode: 431, code: "CT_PAYLOAD_TOO_LARGE", field: "headers" });

    const head = await exchange(server.url, ["HEAD /health HTTP/1.1\r\nhost: x\r\nbad header\r\n\r\n"]);
    expect(head.error).toBeUndefined();
    expect(head.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(head.text.endsWith("\r\n\r\n")).toBe(true);
  });
});
