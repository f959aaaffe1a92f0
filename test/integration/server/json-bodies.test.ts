// JSON bodies: nesting and size bounded before parsing; one rule for lone surrogates (replaced by U+FFFD at the door),
// so every read of a message returns the same text.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BODY_LIMIT_BYTES, type CreatedName } from "../../../src/server/index.js";
import { MAX_JSON_DEPTH, MAX_JSON_TOKENS } from "../../../src/server/json-body.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

describe("JSON request bodies", () => {
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;

  beforeEach(async () => {
    server = await startTestServer();
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
  });
  afterEach(async () => server.close());

  const post = async (path: string, text: string) => {
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${alice.apiKey}` },
      body: text,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it("refuses a body nested deeper than the bound without parsing it, naming the bound", async () => {
    const deep = `{"to":"bob","body":"x","attachments":${"[".repeat(2_000_000)}${"]".repeat(2_000_000)}}`;
    const answer = await post("/api/messages/send", deep);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: "CT_BAD_REQUEST", field: "body", error: `body: nested deeper than ${MAX_JSON_DEPTH} levels` });
    const unclosed = await post("/api/messages/send", "[".repeat(1_000_000));
    expect(unclosed.body).toMatchObject({ code: "CT_BAD_REQUEST", error: `body: nested deeper than ${MAX_JSON_DEPTH} levels` });
  });

  it("refuses a body with more values than the bound", async () => {
    const many = `{"messageIds":[${Array.from({ length: MAX_JSON_TOKENS + 1 }, () => "0").join(",")}]}`;
    const answer = await post("/api/messages/send", many);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: "CT_BAD_REQUEST", field: "body", error: `body: more than ${MAX_JSON_TOKENS} values` });
  });

  it("replaces a lone surrogate by U+FFFD at the door, so the first delivery and the archive read the same text", async () => {
    const sent = await post("/api/messages/send", JSON.stringify({ to: "bob", body: "A\ud800B", subject: "S\udc00" }));
    expect(sent.status).toBe(200);
    const first = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    const delivered = (first.body["messages"] as Array<{ body: string; subject: string }>)[0];
    expect(delivered).toMatchObject({ body: "A\ufffdB", subject: "S\ufffd" });
    // After a restart the message is read from the archive.
    await server.restart();
    const inbox = await api(server, "GET", "/api/messages/inbox", { key: bob.apiKey });
    expect((inbox.body["messages"] as Array<{ body: string; subject: string }>)[0]).toMatchObject({ body: "A\ufffdB", subject: "S\ufffd" });
  });

  it("reads a send larger than the global body limit (its attachments) by the same rules, off the event loop", async () => {
    const file = Buffer.alloc(BODY_LIMIT_BYTES, 7);
    const text = JSON.stringify({ to: "bob", body: "A\ud800B", attachments: [{ data: file.toString("base64"), filename: "a.bin.png", mime_type: "image/png" }] });
    expect(text.length).toBeGreaterThan(BODY_LIMIT_BYTES);
    expect((await post("/api/messages/send", text)).status).toBe(200);
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    expect((polled.body["messages"] as Array<{ body: string }>)[0]?.body).toBe("A\ufffdB");
    const padded = `${" ".repeat(BODY_LIMIT_BYTES)}${"[".repeat(MAX_JSON_DEPTH + 1)}`;
    expect((await post("/api/messages/send", padded)).body).toMatchObject({ code: "CT_BAD_REQUEST", error: `body: nested deeper than ${MAX_JSON_DEPTH} levels` });
    expect((await post("/api/messages/send", `${" ".repeat(BODY_LIMIT_BYTES)}{"to":`)).body).toMatchObject({ code: "CT_BAD_REQUEST", error: "body: malformed JSON" });
  });
});
