// The server killed with SIGKILL while senders run: every send that got a 200 is stored exactly once.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createName, openEmbeddedDirectory, type CreatedName } from "../../../src/server/index.js";
import { runCli, startServerProcess } from "../../helpers/cli-process.js";
import { api } from "../../helpers/test-server.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "clawtell-crash-"));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

/** Two names in the data folder, made before any server runs. */
async function aliceAndBob(): Promise<{ alice: CreatedName; bob: CreatedName }> {
  const { directory, close } = openEmbeddedDirectory({ dataDir: dir });
  try {
    const alice = await createName(directory, { name: "alice", email: "a@example.com" }, { bcryptCost: 4 });
    const bob = await createName(directory, { name: "bob", email: "b@example.com" }, { bcryptCost: 4 });
    return { alice, bob };
  } finally {
    await close();
  }
}

/** Waits until `reached()` holds, checking every 10 ms: count-driven, bounded only by the test's timeout. */
async function until(reached: () => boolean): Promise<void> {
  while (!reached()) await new Promise((r) => setTimeout(r, 10));
}

/** Polls and acks until nothing waits; answers the ids in the order they came. */
async function drain(server: { url: string }, key: string, rounds: number): Promise<string[]> {
  const seen: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const res = await api(server, "GET", "/api/messages/poll?timeout=0&limit=100", { key });
    const ids = (res.body["messages"] as Array<{ id: string }>).map((m) => m.id);
    if (ids.length === 0) break;
    seen.push(...ids);
    await api(server, "POST", "/api/messages/ack", { key, body: { messageIds: ids } });
  }
  return seen;
}

it("keeps every acknowledged send across a SIGKILL", async () => {
  const { alice, bob } = await aliceAndBob();

  const server = await startServerProcess(dir);
  const confirmed: string[] = [];
  let stop = false;
  const sender = async (worker: number): Promise<void> => {
    for (let i = 0; !stop && i < 2000; i++) {
      try {
        const res = await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: `w${worker}-${i}` } });
        if (res.status === 200) confirmed.push(String(res.body["messageId"]));
      } catch {
        return; // the server is gone: a send without an answer may or may not be stored
      }
    }
  };
  let running = 8;
  const senders = Array.from({ length: 8 }, (_, w) => sender(w).finally(() => running--));
  // Kill while sends are in flight, once enough have been confirmed, however slow the machine is.
  await until(() => confirmed.length >= 150 || running === 0);
  await server.kill();
  stop = true;
  await Promise.all(senders);

  const restarted = await startServerProcess(dir);
  try {
    const seen = await drain(restarted, bob.apiKey, 100);
    expect(confirmed.length).toBeGreaterThanOrEqual(150);
    expect(new Set(confirmed).size).toBe(confirmed.length);
    expect(new Set(seen).size).toBe(seen.length);
    const seenIds = new Set(seen);
    expect(confirmed.filter((id) => !seenIds.has(id))).toEqual([]);
    // Besides the confirmed ones, at most the 8 sends in flight at the kill may have been stored.
    expect(seen.length).toBeLessThanOrEqual(confirmed.length + 8);
  } finally {
    await restarted.stop();
  }
});

it("refuses a second server on the same data folder, naming the one that runs, and takes over after a crash", async () => {
  const first = await startServerProcess(dir);
  try {
    const second = await runCli(["server", "--port", "0", "--data", dir], { timeoutMs: 15_000 });
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(`in use by another clawtell server (process ${first.child.pid})`);
  } finally {
    await first.kill();
  }
  // The lock of a killed server is taken over.
  const after = await startServerProcess(dir);
  await after.stop();
});

it("loses no answered send and redelivers no answered ack across repeated SIGKILLs, with the archive taking over between", async () => {
  const { alice, bob } = await aliceAndBob();
  const sent = new Set<string>();
  /** Acks asked for: an ack the kill cut off may or may not have been stored. */
  const ackAsked = new Set<string>();
  const acked = new Set<string>();
  for (let cycle = 0; cycle < 4; cycle++) {
    const server = await startServerProcess(dir);
    let stop = false;
    let sentThisCycle = 0;
    let ackedThisCycle = 0;
    const sender = async (): Promise<void> => {
      while (!stop) {
        const res = await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: `c${cycle}` } }).catch(() => undefined);
        if (res === undefined) return;
        if (res.status === 200) {
          sent.add(String(res.body["messageId"]));
          sentThisCycle++;
        }
      }
    };
    const receiver = async (): Promise<void> => {
      while (!stop) {
        const polled = await api(server, "GET", "/api/messages/poll?timeout=1&limit=50", { key: bob.apiKey }).catch(() => undefined);
        const ids = ((polled?.body["messages"] ?? []) as Array<{ id: string }>).map((m) => m.id);
        if (polled === undefined) return;
        if (ids.length === 0) continue;
        for (const id of ids) ackAsked.add(id);
        const res = await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: ids } }).catch(() => undefined);
        if (res === undefined) return;
        if (res.status === 200) {
          for (const id of ids) acked.add(id);
          ackedThisCycle += ids.length;
        }
      }
    };
    const running = [sender(), sender(), sender(), receiver()];
    // Kill at a different moment each cycle — before, around and after the archive's first hand-overs (every 200 ms)
    // — and never before this cycle has answered 30 sends and an ack, however slow the machine is.
    await new Promise((r) => setTimeout(r, 120 + cycle * 110));
    await until(() => sentThisCycle >= 30 && ackedThisCycle > 0);
    await server.kill();
    stop = true;
    await Promise.all(running);
  }

  const restarted = await startServerProcess(dir);
  try {
    const redelivered = await drain(restarted, bob.apiKey, 200);
    expect(sent.size).toBeGreaterThan(100);
    expect(acked.size).toBeGreaterThan(0);
    const delivered = new Set(redelivered);
    // Every answered send is still waiting, or its ack was asked for; no answered ack comes back.
    expect([...sent].filter((id) => !ackAsked.has(id) && !delivered.has(id))).toEqual([]);
    expect(redelivered.filter((id) => acked.has(id))).toEqual([]);
  } finally {
    await restarted.stop();
  }
});
