// Executables are refused by their name as Windows and browsers would save it, and by their bytes.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CreatedName } from "../../../src/server/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

describe("attachment kinds", () => {
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;

  beforeEach(async () => {
    server = await startTestServer();
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
  });
  afterEach(async () => server.close());

  const sendFile = (content: Buffer, filename: string, mime_type = "text/plain") =>
    api(server, "POST", "/api/messages/send", {
      key: alice.apiKey,
      body: { to: "bob", body: "file", attachments: [{ data: content.toString("base64"), filename, mime_type }] },
    });

  it.each(["evil.exe.", "evil.exe ", "evil.js", "evil.hta", "evil.lnk", "evil.iso", "evil.exe::$DATA"])("refuses %j", async (name) => {
    const answer = await sendFile(Buffer.from("plain text"), name);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: "CT_BAD_REQUEST", field: "attachments.0.filename" });
  });

  it("refuses a program whatever its name and declared type say", async () => {
    const program = Buffer.concat([Buffer.from([0x4d, 0x5a, 0x90, 0x00]), Buffer.alloc(200)]);
    const answer = await sendFile(program, "holiday.jpg", "image/jpeg");
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: "CT_BAD_REQUEST", field: "attachments.0.data" });
    const script = await sendFile(Buffer.from("#!/bin/sh\necho hi\n"), "notes.txt");
    expect(script.body).toMatchObject({ field: "attachments.0.data" });
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    expect(polled.body["messages"]).toEqual([]);
  });

  it("stores a name the way it would be saved: trailing dots and spaces gone", async () => {
    expect((await sendFile(Buffer.from("notes"), "notes.txt. ")).status).toBe(200);
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    expect((polled.body["messages"] as Array<{ attachments: Array<{ filename: string }> }>)[0]?.attachments[0]?.filename).toBe("notes.txt");
  });
});
