// One writer per queue file: a live process holding it is refused by name, a dead one's lock is taken over, a second
// opener in the same process waits for the first to close; readers beside the writer touch nothing.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openFileQueueStore, type FileQueueStoreOptions, type QueueStore } from "../../../src/daemon/queue/index.js";
import { createSilentLogger } from "../../../src/infra/index.js";
import { TEST_POLICY, makeNewJob } from "../../helpers/jobs.js";

const logger = createSilentLogger();
let dir: string;
let path: string;
const opened: QueueStore[] = [];
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "clawtell-queue-lock-"));
  path = join(dir, "queue-default.json");
});
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close().catch(() => undefined);
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

const open = async (overrides: Partial<FileQueueStoreOptions> = {}): Promise<QueueStore> => {
  const store = await openFileQueueStore({ path, policy: TEST_POLICY, logger, ...overrides });
  opened.push(store);
  return store;
};

/** A live process that is not us, to stand for another daemon holding the file. */
async function otherProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  children.push(child);
  await new Promise((resolve) => child.once("spawn", resolve));
  return child;
}

describe("queue file lock", () => {
  it("holds <file>.lock (0600, with our pid) while open and removes it on close", async () => {
    const store = await open();
    expect((await readFile(`${path}.lock`, "utf8")).trim()).toBe(String(process.pid));
    expect((await stat(`${path}.lock`)).mode & 0o777).toBe(0o600);
    await store.close();
    expect(await readdir(dir)).not.toContain("queue-default.json.lock");
  });

  it("refuses a file held by another live process, naming it, and takes it over once that process is gone", async () => {
    const other = await otherProcess();
    await writeFile(`${path}.lock`, `${other.pid ?? 0}\n`);
    await expect(open()).rejects.toMatchObject({ code: "CT_CONFLICT", message: expect.stringContaining(`in use by process ${other.pid ?? 0}`) as unknown });
    other.kill("SIGKILL");
    await new Promise((resolve) => other.once("exit", resolve));
    const store = await open();
    await store.enqueueMany([makeNewJob("after-takeover")]);
    expect((await readFile(`${path}.lock`, "utf8")).trim()).toBe(String(process.pid));
  });

  it("makes a second opener in this process wait until the first has closed (an account restarting)", async () => {
    const first = await open();
    await first.enqueueMany([makeNewJob("from-first")]);
    let secondOpen = false;
    const second = open().then((store) => {
      secondOpen = true;
      return store;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(secondOpen).toBe(false);
    await first.close();
    expect((await second).list().map((j) => j.id)).toEqual(["from-first"]);
  });
});

describe("read-only view", () => {
  it("shows the stored state without writing, moving or locking anything, and refuses changes", async () => {
    const writer = await open();
    await writer.enqueueMany([makeNewJob("in-flight"), makeNewJob("waiting")]);
    writer.claimDue(1, 60_000);
    await writer.enqueueMany([makeNewJob("later")]); // the claim is written with this change
    const before = await readdir(dir);
    const journal = await readFile(`${path}.journal`, "utf8");

    const view = await open({ readOnly: true });
    expect(view.list().map((j) => [j.id, j.state])).toEqual([["in-flight", "delivering"], ["waiting", "queued"], ["later", "queued"]]);
    await expect(view.enqueueMany([makeNewJob("sneaky")])).rejects.toMatchObject({ code: "CT_STATE_WRITE_FAILED" });
    await view.close();
    expect(await readdir(dir)).toEqual(before);
    expect(await readFile(`${path}.journal`, "utf8")).toBe(journal);
    expect((await readFile(`${path}.lock`, "utf8")).trim()).toBe(String(process.pid));
  });

  it("reports a corrupt file as CT_STATE_CORRUPT instead of moving it aside", async () => {
    await writeFile(path, '{"version":1,"jobs":[');
    await expect(open({ readOnly: true })).rejects.toMatchObject({ code: "CT_STATE_CORRUPT" });
    expect(await readdir(dir)).toEqual(["queue-default.json"]);
  });
});
