import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ATTACHMENT_KEEP_MS, sweepAttachments } from "../../../src/plugin/agent-attachments.js";

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
