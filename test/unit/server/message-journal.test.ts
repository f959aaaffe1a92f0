// The message journal's syncs: in place while they are quick, through the thread pool once one is slow; either way a
// line is readable after its sync resolves, in order, and a journal restarted after a reset shows only its new lines.
// A line sealed whole (encryption at rest) is bound to its generation.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterEach, beforeEach, expect, it } from "vitest";
import { openAtRestKeys } from "../../../src/server/crypto/index.js";
import { openMessageJournal, readMessageJournal } from "../../../src/server/store/message-journal.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "clawtell-journal-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ack = (i: number): readonly [string, number] => [`m${i}`, i];

for (const [mode, inlineSyncMaxNs] of [
  ["in place (every sync counts as quick)", Number.MAX_SAFE_INTEGER],
  ["through the thread pool (every sync counts as slow)", 0],
] as const) {
  it(`keeps every synced line, in order, with syncs ${mode}`, async () => {
    const path = join(dir, "messages.journal");
    const journal = openMessageJournal(path, { inlineSyncMaxNs });
    try {
      for (let i = 1; i <= 5; i++) {
        journal.write({ acks: [ack(i)] });
        await journal.sync();
      }
      // Two groups in flight at once: each resolves only after the data is on disk.
      journal.write({ acks: [ack(6)] });
      const first = journal.sync();
      journal.write({ acks: [ack(7)] });
      await Promise.all([first, journal.sync()]);
      expect(readMessageJournal(path).lines.map((line) => line.acks?.[0]?.[0])).toEqual(["m1", "m2", "m3", "m4", "m5", "m6", "m7"]);
      journal.reset();
      journal.write({ acks: [ack(8)] });
      await journal.sync();
      expect(readMessageJournal(path)).toEqual({ lines: [{ acks: [["m8", 8]] }], damaged: 0 });
    } finally {
      journal.close();
    }
  });
}

it("a sealed line reads only in its own generation: moved into another one it does not open", async () => {
  const path = join(dir, "messages.journal");
  const keys = openAtRestKeys({ encryption: {}, dataDir: dir });
  const journal = openMessageJournal(path, { sealing: keys.content });
  try {
    journal.write({ acks: [ack(1)] });
    await journal.sync();
    expect(readMessageJournal(path, keys.content).lines).toEqual([{ acks: [["m1", 1]], sealedUnder: keys.sealer.currentKeyId() }]);
    // The file's pieces: the header of the generation, then the sealed line. Relabel the line (checksum recomputed)
    // as a line of another generation and put it first, with a header of that generation.
    const [header, line] = (await readFile(path, "utf8")).split("\n");
    const other = (Number.parseInt(line?.split(" ")[0] ?? "0", 16) + 7).toString(16);
    const payload = line?.split(" ")[2] ?? "";
    const headerPayload = header?.split(" ")[2] ?? "";
    const relabelled = [other, crc32(headerPayload).toString(16), headerPayload].join(" ") + "\n" + [other, crc32(payload).toString(16), payload].join(" ") + "\n";
    await writeFile(path, relabelled);
    expect(() => readMessageJournal(path, keys.content)).toThrow(expect.objectContaining({ code: "CT_STATE_CORRUPT" }));
  } finally {
    journal.close();
  }
});
