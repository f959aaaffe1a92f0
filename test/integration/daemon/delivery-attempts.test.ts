// An attempt is on disk before its target sees it: a delivery cut short by a crash counts, and no attempt repeats.
import { mkdtemp, open as openFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { parseChannelConfig, resolveAccounts, type ResolvedAccount } from "../../../src/config/index.js";
import { openQueueStore, startDeliveryLoop, type Sink } from "../../../src/daemon/index.js";
import { createSilentLogger, systemClock } from "../../../src/infra/index.js";
import { waitFor } from "../../helpers/http-stub.js";

const logger = createSilentLogger();
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "clawtell-attempts-"));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

async function appendSynced(path: string, data: string): Promise<void> {
  const handle = await openFile(path, "a", 0o600);
  try {
    await handle.write(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

const account = (): ResolvedAccount => {
  const [resolved] = resolveAccounts(parseChannelConfig({ name: "bob", apiKey: "claw_00000000_unused", routing: { bob: { webhook: { url: "http://127.0.0.1:9/hook" }, forward: false } } }));
  if (resolved === undefined) throw new Error("no account");
  return resolved;
};
const message = { id: "msg-1", from: "tell/alice", to_name: "bob", subject: "Message", body: "hi", createdAt: new Date().toISOString(), attachments: [] };

/** A target that records each attempt and holds it until the delivery loop stops (a process that dies mid-call). */
function hangingSink(attempts: number[]): Sink {
  return {
    deliver: async ({ attempt, signal }) => {
      attempts.push(attempt);
      await new Promise<void>((_resolve, reject) => signal?.addEventListener("abort", () => reject(new Error("stopped")), { once: true }));
    },
  };
}

it("writes the claim before calling the target, so an attempt cut short counts and the next one has a new number", async () => {
  const path = join(dir, "queue-default.json");
  let claimWriteHeld = false;
  let releaseClaimWrite: () => void = () => undefined;
  const claimWrite = new Promise<void>((resolve) => (releaseClaimWrite = resolve));
  const queue = await openQueueStore({
    path,
    logger,
    append: async (p, data) => {
      if (data.includes('"state":"delivering"')) {
        claimWriteHeld = true;
        await claimWrite;
      }
      await appendSynced(p, data);
    },
  });
  await queue.enqueueMany([{ id: message.id, accountId: "default", recipient: "bob", routeKey: "bob", message }]);

  const attempts: number[] = [];
  const first = startDeliveryLoop({ queue, account, sinks: { webhook: hangingSink(attempts) }, clock: systemClock, logger });
  await waitFor(() => claimWriteHeld);
  // The claim is not on disk yet, so the target has not been called.
  expect(attempts).toEqual([]);
  releaseClaimWrite();
  await waitFor(() => attempts.length === 1);
  // The process dies here, in the middle of the call: the disk already says an attempt was under way.
  const onDisk = await openQueueStore({ path, logger, readOnly: true });
  expect(onDisk.get(message.id)).toMatchObject({ state: "delivering", attempts: 0 });
  await onDisk.close();
  await first.stop();
  await queue.close();

  // The next run counts the attempt that was cut short and hands over attempt 2.
  const reopened = await openQueueStore({ path, logger });
  expect(reopened.get(message.id)).toMatchObject({ state: "queued", attempts: 1, lastError: { code: "CT_TIMEOUT" } });
  const second = startDeliveryLoop({ queue: reopened, account, sinks: { webhook: hangingSink(attempts) }, clock: systemClock, logger });
  await waitFor(() => attempts.length === 2);
  expect(attempts).toEqual([1, 2]);
  await second.stop();
  await reopened.close();
});
