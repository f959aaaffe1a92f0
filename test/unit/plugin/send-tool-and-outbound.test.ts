// `clawtell_send` and the outbound text path against the real embedded server: which key and name are used, and
// the texts the agent reads back.
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClawTellClient } from "../../../src/client/index.js";
import { parseMessage } from "../../../src/protocol/index.js";
import { createHostAnswerBook, createSendTool, executeSend, sendOutboundText, SEND_TOOL_NAME, SendToolParameters } from "../../../src/plugin/index.js";
import { systemClock } from "../../../src/infra/index.js";
import type { ResolvedAccount } from "../../../src/config/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

describe("clawtell_send and outbound texts", () => {
  let server: TestServer;
  let keys: Record<"alice" | "helper" | "bob", string>;
  let cfg: unknown;
  const clientFor = (account: ResolvedAccount, apiKey: string) => createClawTellClient({ baseUrl: account.baseUrl, apiKey });

  beforeAll(async () => {
    server = await startTestServer();
    keys = {
      alice: (await server.createName("alice", "owner@example.com")).apiKey,
      helper: (await server.createName("helper", "owner@example.com")).apiKey,
      bob: (await server.createName("bob", "bob@example.com")).apiKey,
    };
    cfg = { channels: { clawtell: { name: "alice", apiKey: keys.alice, baseUrl: server.url, routing: { helper: { agent: "helper", apiKey: keys.helper } } } } };
  });
  afterAll(() => server.close());

  async function bobReceives(): Promise<ReturnType<typeof parseMessage>[]> {
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: keys.bob });
    const messages = (polled.body["messages"] as unknown[]).map(parseMessage);
    await api(server, "POST", "/api/messages/ack", { key: keys.bob, body: { messageIds: messages.map((m) => m.id) } });
    return messages;
  }

  it("sends as the name given in `from` with that route's key and reports ✓", async () => {
    const result = await executeSend({ cfg: () => cfg, clientFor }, { to: "tell/Bob", body: "hi", from: "tell/Helper" });
    expect(result.content[0]?.text).toBe("✓ Sent to tell/bob");
    expect(result.details).toMatchObject({ ok: true, status: "sent", from: "helper", to: "bob" });
    const [message] = await bobReceives();
    expect(message).toMatchObject({ from: "tell/helper", body: "hi", subject: "Message" });
  });

  it("sends as the account's own name when `from` is left out, with subject and reply link", async () => {
    const first = await executeSend({ cfg: () => cfg, clientFor }, { to: "bob", body: "first" });
    const firstId = String(first.details["messageId"]);
    await bobReceives();
    await executeSend({ cfg: () => cfg, clientFor }, { to: "bob", body: "again", subject: "Follow up", replyToId: firstId });
    const [message] = await bobReceives();
    expect(message).toMatchObject({ from: "tell/alice", subject: "Follow up", replyToMessageId: firstId });
  });

  it("sends without `from` as the calling agent's routed name, and says so in its description", async () => {
    const result = await executeSend({ cfg: () => cfg, clientFor, agentId: "helper" }, { to: "bob", body: "from the helper agent" });
    expect(result.details).toMatchObject({ ok: true, from: "helper" });
    const [message] = await bobReceives();
    expect(message).toMatchObject({ from: "tell/helper", body: "from the helper agent" });
    expect(createSendTool({ cfg: () => cfg, clientFor, agentId: "helper" }).description).toContain("You are tell/helper: without `from` it sends as tell/helper");
    // The default agent gets the account's own name (no route names it, so its messages go to "main").
    await executeSend({ cfg: () => cfg, clientFor, agentId: "main" }, { to: "bob", body: "from main" });
    expect((await bobReceives())[0]).toMatchObject({ from: "tell/alice" });
  });

  it("sends as the first of several names routed to one agent, unless `from` names another", async () => {
    const twoNames = { channels: { clawtell: { name: "alice", apiKey: keys.alice, baseUrl: server.url, routing: { helper: { agent: "main", apiKey: keys.helper }, alice: { agent: "main" } } } } };
    await executeSend({ cfg: () => twoNames, clientFor, agentId: "main" }, { to: "bob", body: "first name" });
    expect((await bobReceives())[0]).toMatchObject({ from: "tell/helper" });
    await executeSend({ cfg: () => twoNames, clientFor, agentId: "main" }, { to: "bob", body: "picked name", from: "alice" });
    expect((await bobReceives())[0]).toMatchObject({ from: "tell/alice" });
  });

  it("sends files from the agent's workspace and refuses paths outside it, links included, with a clear error", async () => {
    const workspace = await mkdtemp(join(tmpdir(), "clawtell-ws-"));
    const elsewhere = await mkdtemp(join(tmpdir(), "clawtell-elsewhere-"));
    try {
      await writeFile(join(workspace, "notes.txt"), "the notes");
      await writeFile(join(elsewhere, "secret.txt"), "not for sending");
      await symlink(join(elsewhere, "secret.txt"), join(workspace, "link.txt"));
      const deps = { cfg: () => cfg, clientFor, fileRoots: [workspace] };
      const sent = await executeSend(deps, { to: "bob", body: "notes attached", attachments: ["notes.txt"] });
      expect(sent.content[0]?.text).toBe("✓ Sent to tell/bob with notes.txt");
      const [message] = await bobReceives();
      expect(message?.attachments).toEqual([expect.objectContaining({ filename: "notes.txt", mime_type: "text/plain" })]);

      for (const path of [join(elsewhere, "secret.txt"), "../" + basename(elsewhere) + "/secret.txt", "link.txt"]) {
        const refused = await executeSend(deps, { to: "bob", body: "x", attachments: [path] });
        expect(refused.content[0]?.text).toBe(`× Send failed: attachments: ${path} is outside the workspace (${workspace}); only files inside it can be sent — copy the file there first`);
      }
      await writeFile(join(workspace, "tool.exe"), "MZ");
      expect((await executeSend(deps, { to: "bob", body: "x", attachments: ["tool.exe"] })).content[0]?.text).toMatch(/tool\.exe: this file type is not accepted/);
      const eleven = Array.from({ length: 11 }, () => "notes.txt");
      expect((await executeSend(deps, { to: "bob", body: "x", attachments: eleven })).content[0]?.text).toBe("× Send failed: attachments: at most 10 files per message (got 11)");
      expect((await executeSend({ cfg: () => cfg, clientFor }, { to: "bob", body: "x", attachments: ["notes.txt"] })).content[0]?.text).toMatch(/no workspace is known/);
      expect(await bobReceives()).toHaveLength(0);
    } finally {
      await rm(workspace, { recursive: true, force: true });
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it("answers missing arguments without sending anything", async () => {
    const result = await executeSend({ cfg: () => cfg, clientFor }, { to: "bob" });
    expect(result.content[0]?.text).toBe("× Send failed: 'to' and 'body' are required.");
    expect(await bobReceives()).toHaveLength(0);
  });

  it("reports a refused send as a failure text instead of throwing", async () => {
    const result = await executeSend({ cfg: () => cfg, clientFor }, { to: "nobody-here", body: "x" });
    expect(result.content[0]?.text).toMatch(/^× Send failed: /);
    expect(result.details).toMatchObject({ ok: false });
    const unconfigured = await executeSend({ cfg: () => ({ channels: {} }), clientFor }, { to: "bob", body: "x" });
    expect(unconfigured.content[0]?.text).toMatch(/API key not configured/);
  });

  it("describes itself to the model with the official name and parameters", async () => {
    const tool = createSendTool({ cfg: () => cfg, clientFor });
    expect(tool.name).toBe(SEND_TOOL_NAME);
    expect(tool.parameters).toBe(SendToolParameters);
    expect(Object.keys(SendToolParameters.properties)).toEqual(["to", "body", "subject", "replyToId", "from", "accountId", "attachments"]);
    expect(SendToolParameters.required).toEqual(["to", "body"]);
    const viaExecute = await tool.execute("call-1", { to: "bob", body: "from execute" });
    expect(viaExecute.content[0]?.text).toBe("✓ Sent to tell/bob");
    await bobReceives();
  });

  it("sends `openclaw message send` texts to the normalized target as the account name", async () => {
    const sent = await sendOutboundText({ clientFor }, { cfg, to: "clawtell:tell/bob", text: "from the CLI" });
    expect(sent.status).toBe("sent");
    const [message] = await bobReceives();
    expect(message).toMatchObject({ id: sent.messageId, from: "tell/alice", body: "from the CLI" });
    await expect(sendOutboundText({ clientFor }, { cfg, to: "telegram:42", text: "x" })).rejects.toMatchObject({ code: "CT_BAD_REQUEST" });
  });

  it("sends an answer OpenClaw owes a handed-over message through the book, and other texts as before", async () => {
    const book = createHostAnswerBook({ clock: systemClock });
    const answered: string[] = [];
    book.remember("m-1", async (text) => {
      answered.push(text);
      return { messageId: "reply-to-m-1", status: "sent" };
    });
    book.owe("default", "bob", "m-1");
    expect(await sendOutboundText({ clientFor, answers: book }, { cfg, to: "tell/bob", text: "the resumed turn's answer" })).toEqual({ messageId: "reply-to-m-1", status: "sent" });
    expect(answered).toEqual(["the resumed turn's answer"]);
    expect(await bobReceives()).toEqual([]);
    const other = await sendOutboundText({ clientFor, answers: book }, { cfg, to: "tell/helper", text: "not owed" });
    expect(other.status).toBe("sent");
    expect(answered).toHaveLength(1);
  });
});
