// `clawtell send` from the built bin against the real server: each configured name sends with its own key.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../helpers/cli-process.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

describe("clawtell send", () => {
  let server: TestServer;
  let dir: string;
  let configPath: string;
  let aliceKey: string;

  beforeAll(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), "clawtell-send-cli-"));
    aliceKey = (await server.createName("alice", "alice@example.com")).apiKey;
    // bob and carol share one account; `_default` carries a third name's key, which must never send as bob.
    const bob = await server.createName("bob", "owner@example.com");
    const carol = await server.createName("carol", "owner@example.com");
    const other = await server.createName("other", "someone-else@example.com");
    configPath = join(dir, "openclaw.json");
    await writeFile(
      configPath,
      JSON.stringify({
        channels: {
          clawtell: {
            name: "bob",
            apiKey: bob.apiKey,
            baseUrl: server.url,
            routing: { carol: { agent: "main", apiKey: carol.apiKey }, _default: { agent: "main", apiKey: other.apiKey } },
          },
        },
      }),
    );
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const inboxOfAlice = async (): Promise<Array<Record<string, unknown>>> => {
    const res = await api(server, "GET", "/api/messages/poll?timeout=0", { key: aliceKey });
    const messages = res.body["messages"] as Array<Record<string, unknown>>;
    await api(server, "POST", "/api/messages/ack", { key: aliceKey, body: { messageIds: messages.map((m) => m["id"]) } });
    return messages;
  };

  it("sends as the account's own name with the account key, not the `_default` route's", async () => {
    const result = await runCli(["send", "--config", configPath, "--from", "tell/bob", "--to", "tell/alice", "--body", "hello from bob"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/✓ Sent to tell\/alice \(/);
    const [message] = await inboxOfAlice();
    expect(message).toMatchObject({ from: "tell/bob", body: "hello from bob" });
  });

  it("sends as a routed name with that route's own key", async () => {
    const result = await runCli(["send", "--config", configPath, "--from", "carol", "--to", "alice", "--subject", "Hi", "--body", "hello from carol"]);
    expect(result.code, result.stderr).toBe(0);
    const [message] = await inboxOfAlice();
    expect(message).toMatchObject({ from: "tell/carol", subject: "Hi", body: "hello from carol" });
  });

  it("sends files from the working folder with --attach, and refuses one outside it", async () => {
    const work = join(dir, "work");
    await mkdir(work, { recursive: true });
    await writeFile(join(work, "report.pdf"), "%PDF-1.4 fake");
    await writeFile(join(dir, "secret.txt"), "not for sending");
    const sent = await runCli(["send", "--config", configPath, "--from", "bob", "--to", "alice", "--body", "the report", "--attach", "report.pdf"], { cwd: work });
    expect(sent.code, sent.stderr).toBe(0);
    const [message] = await inboxOfAlice();
    expect(message?.["attachments"]).toEqual([expect.objectContaining({ filename: "report.pdf", mime_type: "application/pdf" })]);

    const outside = await runCli(["send", "--config", configPath, "--from", "bob", "--to", "alice", "--body", "x", "--attach", "../secret.txt"], { cwd: work });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain("attachments: ../secret.txt is outside the workspace");
    expect(await inboxOfAlice()).toEqual([]);
  });

  it("refuses a name that is not configured, naming --from", async () => {
    const result = await runCli(["send", "--config", configPath, "--from", "dave", "--to", "alice", "--body", "x"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--from: tell\/dave is not a configured name/);
    expect(await inboxOfAlice()).toEqual([]);
  });
});
