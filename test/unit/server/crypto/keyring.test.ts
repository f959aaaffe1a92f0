// The master key file: made owner-only when missing, rotated beside a running keyring, refused when damaged.
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManualClock } from "../../../../src/infra/index.js";
import { createSealer, openKeyring, rotateKeyFile } from "../../../../src/server/crypto/index.js";

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "clawtell-keyring-"));
  file = join(dir, "master.key");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the master key file", () => {
  it("is made with one key, mode 0600, when missing, and read again as it is", async () => {
    const first = openKeyring({ file }).current();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const json = JSON.parse(await readFile(file, "utf8")) as { current: string; keys: Array<{ id: string; key: string }> };
    expect(json.current).toBe(first.id);
    expect(json.keys).toHaveLength(1);
    expect(Buffer.from(json.keys[0]?.key ?? "", "base64")).toEqual(first.key);
    const again = openKeyring({ file }).current();
    expect(again.id).toBe(first.id);
    expect(again.key).toEqual(first.key);
  });

  it("is not made by a reader that must not make one; such a ring holds no key", () => {
    const ring = openKeyring({ file, create: false });
    expect(() => ring.current()).toThrow(/no master key/);
    expect(ring.find("kabc")).toBeUndefined();
  });

  it("a rotation is found by a running ring after the recheck interval; old keys still open what they sealed", async () => {
    const clock = createManualClock(1_000);
    const ring = openKeyring({ file, clock, recheckMs: 1_000 });
    const sealer = createSealer(ring);
    const oldId = sealer.currentKeyId();
    const before = sealer.seal("before rotation", "c");
    const { id, previous } = rotateKeyFile(file, clock.now());
    expect(previous).toBe(oldId);
    expect(id).not.toBe(oldId);
    expect(sealer.currentKeyId()).toBe(oldId); // not looked at again yet
    await clock.advance(1_000);
    expect(sealer.currentKeyId()).toBe(id);
    const after = sealer.seal("after rotation", "c");
    expect(after.startsWith(`ctseal1:${id}:`)).toBe(true);
    expect(sealer.open(before, "c")).toBe("before rotation");
    // Another process that only has the file opens both.
    const other = createSealer(openKeyring({ file, create: false }));
    expect(other.open(before, "c")).toBe("before rotation");
    expect(other.open(after, "c")).toBe("after rotation");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("content naming a key the ring has not seen yet makes it read the file at once", () => {
    const clock = createManualClock(0);
    const ring = openKeyring({ file, clock, recheckMs: 60_000 });
    rotateKeyFile(file, 1);
    const newer = createSealer(openKeyring({ file, create: false }));
    const sealed = newer.seal("from the other process", "c");
    expect(createSealer(ring).open(sealed, "c")).toBe("from the other process");
  });

  it("a damaged key file is refused, naming the file", async () => {
    await writeFile(file, "{ not json", { mode: 0o600 });
    expect(() => openKeyring({ file })).toThrow(/is not a master key file/);
    await writeFile(file, JSON.stringify({ current: "k1", keys: [{ id: "k2", key: Buffer.alloc(32).toString("base64"), createdAt: 0 }] }));
    expect(() => openKeyring({ file })).toThrow(/is not a master key file/);
    await writeFile(file, JSON.stringify({ current: "k1", keys: [{ id: "k1", key: "short", createdAt: 0 }] }));
    expect(() => openKeyring({ file })).toThrow(/32 bytes/);
  });

  it("a key by value is current, and the file's keys still open what they sealed", () => {
    const fromFile = createSealer(openKeyring({ file }));
    const sealed = fromFile.seal("file key", "c");
    const withValue = createSealer(openKeyring({ file, value: "22".repeat(32) }));
    expect(withValue.currentKeyId()).toMatch(/^env-/);
    expect(withValue.open(sealed, "c")).toBe("file key");
  });
});
