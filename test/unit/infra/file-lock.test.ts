// The file lock with real files: a second opener in this process waits on its clock for the first to release.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireFileLock, createManualClock, createSilentLogger, type FileLockOptions } from "../../../src/infra/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ct-file-lock-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const options = (extra: Partial<FileLockOptions> = {}): FileLockOptions => ({
  logger: createSilentLogger(),
  heldBy: (pid) => `held by process ${pid}`,
  heldHere: "held in this process",
  field: "data",
  ...extra,
});

describe("acquireFileLock within one process", () => {
  it("gives up after waiting waitInProcessMs on its clock", async () => {
    const path = join(dir, "timed-out");
    const first = await acquireFileLock(path, options());
    try {
      expect((await readFile(`${path}.lock`, "utf8")).trim()).toBe(String(process.pid));
      const clock = createManualClock(0);
      let settled = false;
      // Far longer than the test may run: only the clock can end it.
      const second = acquireFileLock(path, options({ clock, waitInProcessMs: 600_000 })).finally(() => (settled = true));
      await clock.advance(599_999);
      expect(settled).toBe(false);
      await clock.advance(1);
      await expect(second).rejects.toMatchObject({ code: "CT_CONFLICT", message: "held in this process" });
    } finally {
      await first.release();
    }
  });

  it("takes the lock once the first opener releases it within the wait", async () => {
    const path = join(dir, "released");
    const first = await acquireFileLock(path, options());
    const clock = createManualClock(0);
    const second = acquireFileLock(path, options({ clock, waitInProcessMs: 600_000 }));
    await clock.advance(599_999);
    await first.release();
    const lock = await second;
    expect((await readFile(`${path}.lock`, "utf8")).trim()).toBe(String(process.pid));
    await lock.release();
  });
});
