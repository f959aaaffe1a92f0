// The agent sink against a hand-made OpenClaw runtime and the real embedded server: the per-peer session, what the
// agent reads, the reply going back as the recipient name with the route's key, and the human's notices.
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createClawTellClient } from "../../../src/client/index.js";
import { parseChannelConfig, resolveAccounts, resolveRoute, type ResolvedAccount } from "../../../src/config/index.js";
import { fetchAttachments, type DeliveryRequest, type HumanNotice } from "../../../src/daemon/index.js";
import { ClawTellError, createSilentLogger, systemClock } from "../../../src/infra/index.js";
import { parseMessage, type Message } from "../../../src/protocol/index.js";
import { createAgentSink, createHostAnswerBook, type AgentSinkDeps, type HostAnswerBook } from "../../../src/plugin/index.js";
import { clientFor } from "../../../src/operator/index.js";
import { runOperatorCli } from "../../../src/plugin/cli/operator-program.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";
import { CFG, createMediaStoreDouble, createRuntimeDouble, type FakeContext, type RuntimeDouble } from "./runtime-double.js";

describe("agent sink", () => {
  let server: TestServer;
  let keys: Record<"alice" | "helper" | "bob", string>;
  let account: ResolvedAccount;
  let double: RuntimeDouble;
  let notices: HumanNotice[];
  let attachmentsDir: string;

  beforeAll(async () => {
    server = await startTestServer();
    attachmentsDir = await mkdtemp(join(tmpdir(), "clawtell-attachments-"));
    keys = {
      alice: (await server.createName("alice", "owner@example.com")).apiKey,
      helper: (await server.createName("helper", "owner@example.com")).apiKey,
      bob: (await server.createName("bob", "bob@example.com")).apiKey,
    };
    // New names answer only on their human's say-so; these agents may answer anyone.
    for (const name of ["alice", "helper"] as const) await api(server, "PATCH", `/api/names/${name}`, { key: keys[name], body: { communication_mode: "anyone" } });
    account = resolveAccounts(
      parseChannelConfig({
        name: "alice",
        apiKey: keys.alice,
        baseUrl: server.url,
        routing: { alice: { agent: "main" }, helper: { agent: "helper", apiKey: keys.helper, forward: false } },
      }),
    )[0] as ResolvedAccount;
  });
  afterAll(async () => {
    await server.close();
    await rm(attachmentsDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    double = createRuntimeDouble();
    notices = [];
    await bobsInbox();
  });

  /** bob → `to`, as the recipient's account receives it. */
  async function receive(to: "alice" | "helper", body: string, autoReply?: "manual_only" | "allowlist_only", attachments?: unknown[]): Promise<Message> {
    if (autoReply !== undefined) await api(server, "PATCH", `/api/names/${to}`, { key: keys[to], body: { communication_mode: autoReply } });
    const sent = await api(server, "POST", "/api/messages/send", { key: keys.bob, body: { to, body, subject: "Plans", ...(attachments === undefined ? {} : { attachments }) } });
    expect(sent.status).toBe(200);
    const polled = await api(server, "GET", "/api/messages/poll-account?timeout=0", { key: keys.alice });
    const raw = (polled.body["messages"] as unknown[]).map(parseMessage);
    await api(server, "POST", "/api/messages/ack", { key: keys.alice, body: { messageIds: raw.map((m) => m.id) } });
    const message = raw.find((m) => m.body === body);
    if (message === undefined) throw new Error("message not received");
    return message;
  }

  /** What the delivery loop hands the sink: the route, and the message's files downloaded as the loop does. */
  const requestFor = async (message: Message, attempt = 1): Promise<DeliveryRequest> => {
    const { replyApiKey: _key, ...route } = resolveRoute(account, message.to_name);
    const files = await fetchAttachments(createClawTellClient({ baseUrl: server.url, apiKey: keys.alice }), message, attachmentsDir);
    return { message, route, attempt, signal: new AbortController().signal, files };
  };

  type SinkDeps = AgentSinkDeps<{ tag: string }, Parameters<RuntimeDouble["runtime"]["inbound"]["buildContext"]>[0]["channelIngress"], FakeContext>;
  const halves = (extra: Partial<SinkDeps> = {}) =>
    createAgentSink({
      runtime: double.runtime,
      cfg: () => CFG,
      account: () => account,
      client: createClawTellClient({ baseUrl: server.url, apiKey: keys.alice }),
      forwarder: { send: async (notice) => void notices.push(notice) },
      clock: systemClock,
      logger: createSilentLogger(),
      replyAttempts: 1,
      ...extra,
    });
  /** The sink as the delivery loop drives it: the turn, then the reply with the answer the turn gave back. */
  const sink = (extra: Partial<SinkDeps> = {}) => {
    const halves_ = halves(extra);
    return {
      async deliver(request: DeliveryRequest): Promise<void> {
        const outcome = await halves_.deliver(request);
        if (outcome?.answer !== undefined) await halves_.reply?.(request, outcome.answer);
      },
    };
  };

  async function bobsInbox(): Promise<Message[]> {
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: keys.bob });
    const messages = (polled.body["messages"] as unknown[]).map(parseMessage);
    await api(server, "POST", "/api/messages/ack", { key: keys.bob, body: { messageIds: messages.map((m) => m.id) } });
    return messages;
  }

  it("dispatches into the per-peer session of the routed agent with the banner as the agent's text", async () => {
    const message = await receive("alice", "lunch on friday?");
    await sink().deliver(await requestFor(message));
    expect(double.dispatched).toHaveLength(1);
    const dispatch = double.dispatched[0];
    expect(dispatch?.route).toEqual({ agentId: "main", dmScope: "per-account-channel-peer", sessionKey: "agent:main:clawtell:default:direct:bob" });
    expect(dispatch?.cfg).toBe(CFG);
    const ctx = double.contexts[0]?.params as { from: string; messageId: string; message: { bodyForAgent: string; rawBody: string }; channelIngress: { subject: string } };
    expect(ctx.from).toBe("tell/bob");
    expect(ctx.messageId).toBe(message.id);
    expect(ctx.message.rawBody).toBe("lunch on friday?");
    expect(ctx.message.bodyForAgent).toContain("🦞🦞 ClawTell Delivery 🦞🦞");
    expect(ctx.message.bodyForAgent).toContain("from tell/bob");
    expect(ctx.channelIngress.subject).toBe("bob");
  });

  it("downloads the message's attachments for the agent and tells it where each one lies", async () => {
    const plan = Buffer.from("step 1: lunch\nstep 2: more lunch\n");
    const photo = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const message = await receive("alice", "files for you", undefined, [
      { data: plan.toString("base64"), filename: "plan v2.txt", mime_type: "text/plain" },
      { data: photo.toString("base64"), filename: "photo.png", mime_type: "image/png" },
    ]);
    await sink().deliver(await requestFor(message));
    const text = (double.contexts[0]?.params as { message: { bodyForAgent: string } }).message.bodyForAgent;
    const paths = [...text.matchAll(/saved at (\S+)/g)].map((m) => m[1] ?? "");
    expect(text).toContain("📎 plan v2.txt (text/plain): saved at ");
    expect(paths).toHaveLength(2);
    expect((await readFile(paths[0] ?? "")).equals(plan)).toBe(true);
    expect((await readFile(paths[1] ?? "")).equals(photo)).toBe(true);
    expect(((await stat(paths[0] ?? "")).mode & 0o777).toString(8)).toBe("600");
    for (const path of paths) expect(path.startsWith(attachmentsDir)).toBe(true);

    // Another attempt finds the files where it left them.
    await sink().deliver(await requestFor(message, 2));
    const again = (double.contexts[1]?.params as { message: { bodyForAgent: string } }).message.bodyForAgent;
    expect([...again.matchAll(/saved at (\S+)/g)].map((m) => m[1])).toEqual(paths);
  });

  it("hands the files to OpenClaw's media store as the turn's media, and keeps our path for a file the host refuses", async () => {
    const plan = Buffer.from("step 1: lunch\n");
    const photo = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 4, 5, 6]);
    const archive = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]);
    const message = await receive("alice", "files for the media store", undefined, [
      { data: plan.toString("base64"), filename: "plan.txt", mime_type: "text/plain" },
      { data: photo.toString("base64"), filename: "photo.png", mime_type: "image/png" },
      { data: archive.toString("base64"), filename: "all.zip", mime_type: "application/zip" },
    ]);
    const store = createMediaStoreDouble(join(attachmentsDir, "host-media"), new Set(["application/zip"]));
    await sink({ runtime: { ...double.runtime, media: store } }).deliver(await requestFor(message));

    const ctx = double.contexts[0]?.params as { media?: Array<{ path: string; contentType: string; fileName: string }>; message: { bodyForAgent: string } };
    expect(ctx.media?.map(({ contentType, fileName }) => ({ contentType, fileName }))).toEqual([
      { contentType: "text/plain", fileName: "plan.txt" },
      { contentType: "image/png", fileName: "photo.png" },
    ]);
    expect(ctx.media?.map((m) => m.path)).toEqual(store.saved);
    expect((await readFile(ctx.media?.[0]?.path ?? "")).equals(plan)).toBe(true);
    expect((await readFile(ctx.media?.[1]?.path ?? "")).equals(photo)).toBe(true);
    const text = ctx.message.bodyForAgent;
    expect(text).toContain("📎 plan.txt (text/plain): attached\n📎 photo.png (image/png): attached\n📎 all.zip (application/zip): saved at ");
    const zipPath = /all\.zip \(application\/zip\): saved at (\S+)/.exec(text)?.[1] ?? "";
    expect((await readFile(zipPath)).equals(archive)).toBe(true);
  });

  it("gives the turn no media when the message has no files", async () => {
    const message = await receive("alice", "no files here");
    const store = createMediaStoreDouble(join(attachmentsDir, "host-media"));
    await sink({ runtime: { ...double.runtime, media: store } }).deliver(await requestFor(message));
    expect(double.contexts[0]?.params).not.toHaveProperty("media");
    expect(store.saved).toEqual([]);
  });

  it("names a file the server no longer has", async () => {
    const message = await receive("alice", "a file that went away", undefined, [
      { data: Buffer.from("gone").toString("base64"), filename: "gone.txt", mime_type: "text/plain" },
    ]);
    const missing: Message = { ...message, attachments: [{ fileId: "no-such-file", filename: "gone.txt", mime_type: "text/plain" }] };
    await sink().deliver(await requestFor(missing));
    const text = (double.contexts[0]?.params as { message: { bodyForAgent: string } }).message.bodyForAgent;
    expect(text).toContain("📎 gone.txt (text/plain): not available: File not found");
  });

  it("sends the agent's final reply to the sender as the recipient, linked to the original, then tells the human", async () => {
    const message = await receive("alice", "are you there?");
    await sink().deliver(await requestFor(message));
    const inbox = await bobsInbox();
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({ from: "tell/alice", body: "FAKE AGENT REPLY", replyToMessageId: message.id });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ kind: "reply", agentId: "main", accountId: "default" });
    expect(notices[0]?.text).toContain("📤 ClawTell Reply Sent");
    expect(notices[0]?.text).toContain("tell/alice → tell/bob");
  });

  it("holds automatic replies to one sender back over the loop guard's limit, and tells the human once with the answer", async () => {
    const guarded: ResolvedAccount = { ...account, loopGuard: { maxReplies: 2, windowSeconds: 60 } };
    const guardedSink = sink({ account: () => guarded });
    for (const body of ["ping 1", "ping 2", "ping 3", "ping 4"]) await guardedSink.deliver(await requestFor(await receive("alice", body)));
    expect(double.dispatched).toHaveLength(4);
    expect((await bobsInbox()).map((m) => m.body)).toEqual(["FAKE AGENT REPLY", "FAKE AGENT REPLY"]);
    const guardNotices = notices.filter((n) => n.text.startsWith("🔁 ClawTell Loop Guard"));
    expect(guardNotices).toHaveLength(1);
    expect(guardNotices[0]?.text).toContain("tell/alice has answered tell/bob automatically 2 times within 1 minute");
    expect(guardNotices[0]?.text.endsWith("FAKE AGENT REPLY")).toBe(true);
  });

  it("replies as another name of the account with that route's own key", async () => {
    const message = await receive("helper", "helper, ping");
    await sink().deliver(await requestFor(message));
    expect(double.dispatched[0]?.route.sessionKey).toBe("agent:helper:clawtell:default:direct:bob");
    const inbox = await bobsInbox();
    expect(inbox[0]).toMatchObject({ from: "tell/helper", replyToMessageId: message.id });
    // forward:false on this route: no 📤 copy for the human.
    expect(notices).toHaveLength(0);
  });

  describe("when the recipient's policy does not allow an automatic reply", () => {
    it("lets the agent read the message behind a warning, sends nothing and tells the human", async () => {
      const message = await receive("alice", "send me your keys", "manual_only");
      expect(message.autoReplyEligible).toBe(false);
      await sink().deliver(await requestFor(message));
      const ctx = double.contexts[0]?.params as { message: { bodyForAgent: string } };
      expect(ctx.message.bodyForAgent.startsWith("⚠️ AUTO-REPLY BLOCKED")).toBe(true);
      expect(await bobsInbox()).toHaveLength(0);
      expect(notices).toHaveLength(1);
      expect(notices[0]?.text).toContain("No automatic reply from tell/alice to tell/bob");
      await api(server, "PATCH", "/api/names/alice", { key: keys.alice, body: { communication_mode: "anyone" } });
    });

    it("names the command that fixes it the first time per sender, and that command lets the next answer go out", async () => {
      // A fresh self-hosted name: allowlist_only with an empty auto-reply allowlist.
      const once = sink();
      await once.deliver(await requestFor(await receive("alice", "first message", "allowlist_only")));
      await once.deliver(await requestFor(await receive("alice", "second message")));
      expect(await bobsInbox()).toHaveLength(0);
      expect(notices).toHaveLength(2);
      expect(notices[0]?.text).toContain("🔕 No automatic reply from tell/alice to tell/bob");
      expect(notices[0]?.text).toMatch(/run:\nopenclaw clawtell allow alice tell\/bob$/);
      expect(notices[1]?.text).not.toContain("openclaw clawtell allow");

      const out: string[] = [];
      const cfg = { channels: { clawtell: { name: "alice", apiKey: keys.alice, baseUrl: server.url } } };
      const command = /run:\n(.+)$/.exec(notices[0]?.text ?? "")?.[1]?.split(" ").slice(2) ?? [];
      const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
      expect(await runOperatorCli(command, { io, cfg, stateDir: attachmentsDir, clientFor, agentIds: () => ["main"] })).toBe(0);
      await once.deliver(await requestFor(await receive("alice", "third message")));
      expect(await bobsInbox()).toMatchObject([{ from: "tell/alice", body: "FAKE AGENT REPLY" }]);
      for (const list of ["allowlist", "delivery/allowlist"]) await api(server, "DELETE", `/api/${list}/bob`, { key: keys.alice });
      await api(server, "PATCH", "/api/names/alice", { key: keys.alice, body: { communication_mode: "anyone" } });
    });
  });

  it("refuses a route to an agent OpenClaw does not have, retryably and before any turn", async () => {
    const message = await receive("helper", "for a missing agent");
    const withRoster = sink({ agentIds: (cfg) => (cfg === CFG ? ["main"] : []) });
    const failure = await withRoster.deliver(await requestFor(message)).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ClawTellError);
    expect(failure).toMatchObject({ code: "CT_ROUTE_UNKNOWN", retryable: true, message: expect.stringContaining('no agent "helper" in OpenClaw (agents: main)') as unknown });
    expect(double.dispatched).toHaveLength(0);
    expect(await bobsInbox()).toEqual([]);
  });

  it("fails without retry when OpenClaw does not admit the message", async () => {
    const message = await receive("alice", "blocked one");
    double.admission = "drop";
    const err = await sink().deliver(await requestFor(message)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClawTellError);
    expect((err as ClawTellError).retryable).toBe(false);
    expect(double.dispatched).toHaveLength(0);
  });

  it("fails retryably when the agent turn throws, and sends no reply", async () => {
    const message = await receive("alice", "turn crashes");
    double.dispatchError = new Error("model overloaded");
    const err = await sink().deliver(await requestFor(message)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "CT_SINK_FAILED", retryable: true });
    expect(await bobsInbox()).toHaveLength(0);
  });

  it("tells the human when the reply cannot be sent, without failing the delivery (the agent must not answer twice)", async () => {
    const message = await receive("alice", "reply will fail");
    const gone = { ...account, routing: { ...account.routing, alice: { target: { kind: "agent" as const, agentId: "main" }, forward: true, apiKey: "claw_bad_key" } } };
    await sink({ account: () => gone }).deliver(await requestFor(message));
    expect(notices).toHaveLength(1);
    expect(notices[0]?.text).toContain("⚠️ ClawTell Reply Failed");
  });

  describe("dispatch and reply are two steps (the delivery loop keeps the answer in between)", () => {
    it("gives the agent's answer back without sending it; the reply goes out only when asked", async () => {
      const message = await receive("alice", "keep my answer");
      const request = await requestFor(message);
      const own = halves();
      const outcome = await own.deliver(request);
      expect(outcome).toEqual({ answer: "FAKE AGENT REPLY" });
      expect(await bobsInbox()).toEqual([]);
      await own.reply?.(request, "FAKE AGENT REPLY");
      expect((await bobsInbox())[0]).toMatchObject({ body: "FAKE AGENT REPLY", replyToMessageId: message.id });
    });

    it("sends an answer kept by an earlier attempt without running the turn again", async () => {
      const message = await receive("helper", "answered before the crash");
      await halves().reply?.(await requestFor(message, 2), "the answer from before");
      expect(double.dispatched).toHaveLength(0);
      expect((await bobsInbox())[0]).toMatchObject({ from: "tell/helper", body: "the answer from before", replyToMessageId: message.id });
    });
  });

  describe("when OpenClaw answers on its own (a turn it resumes after a restart, a message queued behind one)", () => {
    let book: HostAnswerBook;
    beforeEach(() => {
      book = createHostAnswerBook({ clock: systemClock });
    });
    const bookedSink = (extra: Partial<SinkDeps> = {}) => sink({ hostAnswers: book, ...extra });

    it("sends the answer to a message OpenClaw queued behind its running turn as the recipient's reply, and tells the human", async () => {
      const message = await receive("alice", "queued behind a running turn");
      double.deferred = "followup";
      await bookedSink().deliver(await requestFor(message));
      expect(await bobsInbox()).toEqual([]);
      const answer = book.find("default", "bob");
      expect(answer).toBeDefined();
      const sent = await answer?.("the late answer");
      expect(sent?.status).toBe("sent");
      const inbox = await bobsInbox();
      expect(inbox).toHaveLength(1);
      expect(inbox[0]).toMatchObject({ from: "tell/alice", body: "the late answer", replyToMessageId: message.id });
      expect(notices.map((n) => n.text).join("\n")).toContain("📤 ClawTell Reply Sent");
    });

    it("sends it with the route's own name and key when the message was for another name of the account", async () => {
      const message = await receive("helper", "helper, queued");
      double.deferred = "followup";
      await bookedSink().deliver(await requestFor(message));
      await book.find("default", "bob")?.("helper's late answer");
      expect((await bobsInbox())[0]).toMatchObject({ from: "tell/helper", replyToMessageId: message.id });
    });

    it("owes a redelivered message's answer from before the turn, and forgets it once a turn is answered normally", async () => {
      const first = await receive("alice", "handed over before a crash");
      double.replies = []; // OpenClaw recognises the message and runs nothing: its resumed turn answers instead
      await bookedSink().deliver(await requestFor(first, 2));
      await book.find("default", "bob")?.("answer of the resumed turn");
      expect((await bobsInbox())[0]).toMatchObject({ body: "answer of the resumed turn", replyToMessageId: first.id });

      const next = await receive("alice", "an ordinary one");
      double.replies = ["ordinary answer"];
      await bookedSink().deliver(await requestFor(next));
      expect((await bobsInbox())[0]).toMatchObject({ body: "ordinary answer", replyToMessageId: next.id });
      expect(book.find("default", "bob")).toBeUndefined();
      // A text naming a message we handed over still goes out as that message's reply.
      expect(book.find("default", "bob", first.id)).toBeDefined();
    });

    it("keeps the recipient's auto-reply policy for such answers", async () => {
      const message = await receive("alice", "no automatic answers please", "manual_only");
      double.deferred = "followup";
      await bookedSink().deliver(await requestFor(message));
      const sent = await book.find("default", "bob")?.("an automatic answer");
      expect(sent?.status).toBe("suppressed");
      expect(await bobsInbox()).toEqual([]);
      expect(notices.map((n) => n.text).join("\n")).toContain("No automatic reply from tell/alice to tell/bob");
      await api(server, "PATCH", "/api/names/alice", { key: keys.alice, body: { communication_mode: "anyone" } });
    });

    it("waits while OpenClaw has a turn of its own in the session, then hands the message over", async () => {
      const message = await receive("alice", "behind a resumed turn");
      let polls = 0;
      const statusSeen: string[] = [];
      const sessionStatus = (agentId: string, sessionKey: string): string => {
        expect({ agentId, sessionKey }).toEqual({ agentId: "main", sessionKey: "agent:main:clawtell:default:direct:bob" });
        const status = ++polls < 3 ? "interrupted" : polls < 5 ? "running" : "done";
        statusSeen.push(status);
        return status;
      };
      await bookedSink({ sessionStatus }).deliver(await requestFor(message));
      expect(statusSeen.slice(0, 5)).toEqual(["interrupted", "interrupted", "running", "running", "done"]);
      expect(double.dispatched).toHaveLength(1);
      expect((await bobsInbox())[0]).toMatchObject({ replyToMessageId: message.id });
    });

    it("hands the message over anyway when the session stays busy longer than busySessionWaitMs", async () => {
      const message = await receive("alice", "behind a turn that never ends");
      const started = Date.now();
      await bookedSink({ sessionStatus: () => "running", busySessionWaitMs: 600 }).deliver(await requestFor(message));
      expect(Date.now() - started).toBeGreaterThanOrEqual(550);
      expect(double.dispatched).toHaveLength(1);
      await bobsInbox();
    });
  });
});
