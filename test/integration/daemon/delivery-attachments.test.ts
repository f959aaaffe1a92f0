// The delivery loop's attachment step against the real server: a download that cannot reach the server fails the
// attempt before anything goes out (no 🦞 copy, no hand-over), and the next attempt carries the files to both.
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClawTellClient, type ClawTellClient } from "../../../src/client/index.js";
import { parseChannelConfig, resolveAccounts, type ResolvedAccount } from "../../../src/config/index.js";
import {
  createMemoryQueueStore,
  fetchAttachments,
  startDeliveryLoop,
  type DeliveryLoopHandle,
  type DeliveryRequest,
  type HumanNotice,
  type QueueStore,
} from "../../../src/daemon/index.js";
import { createSilentLogger, systemClock } from "../../../src/infra/index.js";
import { parseMessage, type Message } from "../../../src/protocol/index.js";
import { waitFor } from "../../helpers/http-stub.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

describe("delivery loop with attachments", () => {
  let server: TestServer;
  let dir: string;
  let loop: DeliveryLoopHandle | undefined;

  beforeEach(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), "clawtell-loop-files-"));
  });
  afterEach(async () => {
    await loop?.stop();
    loop = undefined;
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("retries a download the server is out of reach for, then forwards and hands over the files", async () => {
    const alice = await server.createName("alice", "a@example.com");
    const bob = await server.createName("bob", "b@example.com");
    const report = Buffer.from("the numbers\n");
    await api(server, "POST", "/api/messages/send", {
      key: alice.apiKey,
      body: { to: "bob", body: "with a file", attachments: [{ data: report.toString("base64"), filename: "report.txt", mime_type: "text/plain" }] },
    });
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    const message: Message = parseMessage((polled.body["messages"] as unknown[])[0]);

    const [account] = resolveAccounts(
      parseChannelConfig({ name: "bob", apiKey: bob.apiKey, baseUrl: server.url, queue: { backoffBaseMs: 50, backoffCapMs: 100 }, routing: { bob: { command: { command: "true" } } } }),
    ) as [ResolvedAccount];
    const queue: QueueStore = createMemoryQueueStore({ policy: account.queue });
    await queue.enqueueMany([{ id: message.id, accountId: account.accountId, recipient: "bob", routeKey: "bob", message }]);

    // The server as the daemon reaches it: first out of reach, then back.
    let client: ClawTellClient = createClawTellClient({ baseUrl: "http://127.0.0.1:9", apiKey: bob.apiKey });
    const notices: HumanNotice[] = [];
    const handed: DeliveryRequest[] = [];
    loop = startDeliveryLoop({
      queue,
      account: () => account,
      sinks: { command: { deliver: async (request) => void handed.push(request) } },
      forwarder: { send: async (notice) => void notices.push(notice) },
      fetchAttachments: (m, signal) => fetchAttachments(client, m, dir, signal),
      clock: systemClock,
      logger: createSilentLogger(),
    });

    await waitFor(() => (queue.get(message.id)?.attempts ?? 0) >= 1);
    expect(queue.get(message.id)?.lastError?.code).toBe("CT_API_UNREACHABLE");
    expect(notices).toEqual([]);
    expect(handed).toEqual([]);

    client = createClawTellClient({ baseUrl: server.url, apiKey: bob.apiKey });
    loop.wake();
    await waitFor(() => handed.length === 1 && queue.pendingCount() === 0, 10_000);
    expect(notices).toHaveLength(1);
    const [file] = notices[0]?.files ?? [];
    expect(file).toMatchObject({ filename: "report.txt", mimeType: "text/plain" });
    expect(readFileSync(file?.path ?? "").equals(report)).toBe(true);
    expect(handed[0]?.files).toEqual([{ attachment: message.attachments[0], path: file?.path }]);
  });
});
