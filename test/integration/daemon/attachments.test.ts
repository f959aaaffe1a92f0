import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClawTellClient, type ClawTellClient } from "../../../src/client/index.js";
import { parseMessage, type Message } from "../../../src/protocol/index.js";
import { ATTACHMENT_KEEP_MS, fetchAttachments, localFiles, sweepAttachments } from "../../../src/daemon/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

describe("attachment sweep", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-sweep-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("removes the folders of messages older than the keep time and leaves newer ones", async () => {
    const now = Date.now();
    for (const [name, ageMs] of [["old", ATTACHMENT_KEEP_MS + 60_000], ["recent", 60_000]] as const) {
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, "f-notes.txt"), "x");
      const at = new Date(now - ageMs);
      await utimes(join(dir, name), at, at);
    }
    expect(await sweepAttachments(dir, now - ATTACHMENT_KEEP_MS)).toBe(1);
    expect(await readdir(dir)).toEqual(["recent"]);
  });

  it("is content with a folder that does not exist yet", async () => {
    expect(await sweepAttachments(join(dir, "never-made"), Date.now())).toBe(0);
  });
});

describe("attachment download", () => {
  let server: TestServer;
  let dir: string;
  beforeEach(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), "clawtell-download-"));
  });
  afterEach(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** alice sends bob one file; answers bob's message and a client with his key. */
  async function bobReceivesFile(filename: string, content: string): Promise<{ message: Message; client: ClawTellClient }> {
    const alice = await server.createName("alice", "a@example.com");
    const bob = await server.createName("bob", "b@example.com");
    const data = Buffer.from(content).toString("base64");
    await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: "f", attachments: [{ data, filename, mime_type: "text/plain" }] } });
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    const [message] = (polled.body["messages"] as unknown[]).map(parseMessage);
    if (message === undefined) throw new Error("no message");
    return { message, client: createClawTellClient({ baseUrl: server.url, apiKey: bob.apiKey }) };
  }

  it("keeps every file inside its folder, whatever ids and names the server sends", async () => {
    // Our server refuses such names; another server might still send them, so the message is bent after receipt.
    const { message, client } = await bobReceivesFile("notes.txt", "inside");
    for (const [id, filename] of [["..", ".."], [".", "../../escape.txt"], ["", "/etc/passwd"]] as const) {
      const attachments = message.attachments.map((a) => ({ ...a, filename }));
      const [fetched] = await fetchAttachments(client, { ...message, id, attachments }, dir);
      const path = fetched !== undefined && "path" in fetched ? fetched.path : "";
      expect(relative(dir, path).startsWith("..")).toBe(false);
      expect(dirname(path)).not.toBe(dir);
      expect(await readFile(path, "utf8")).toBe("inside");
    }
  });

  it("keeps a file the server no longer has as the reason, and fails retryably while the server is out of reach", async () => {
    const { message, client } = await bobReceivesFile("x.txt", "x");
    const missing = await fetchAttachments(client, { ...message, attachments: [{ fileId: "no-such-file", filename: "x.txt", mime_type: "text/plain" }] }, dir);
    expect(missing).toEqual([{ attachment: { fileId: "no-such-file", filename: "x.txt", mime_type: "text/plain" }, problem: "File not found" }]);
    expect(localFiles(missing)).toEqual([]);

    const unreachable = createClawTellClient({ baseUrl: "http://127.0.0.1:9", apiKey: "claw_000000000000_abcdefghijklmnopqrstuvwxyz012345" });
    await expect(fetchAttachments(unreachable, { ...message, id: "later" }, dir)).rejects.toMatchObject({ code: "CT_API_UNREACHABLE", retryable: true });
  });
});
