// Attachment bytes sealed in segments over the file room on disk: round trip at segment edges, tampering, rotation.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openKeyring, rotateKeyFile, sealFileStore } from "../../../../src/server/crypto/index.js";
import { FILES_DIR, openFileStore } from "../../../../src/server/files.js";

const SEGMENT = 1024;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "clawtell-sealed-files-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function* pieces(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const open = () => {
  const keyFile = join(dir, "master.key");
  const keyring = openKeyring({ file: keyFile, recheckMs: 0 });
  return { keyFile, keyring, files: sealFileStore(openFileStore(dir), keyring, { segmentBytes: SEGMENT }) };
};

describe("sealed attachment files", () => {
  it("round trip at every segment edge, whole or streamed, and nothing of the bytes is on disk", async () => {
    const { files } = open();
    const marker = Buffer.from("QUETZALCOATL-MARKER");
    for (const size of [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT, 3 * SEGMENT + 17]) {
      const bytes = Buffer.concat([marker, randomBytes(size)]).subarray(0, size);
      const fileId = await files.save(bytes);
      expect(await readAll(files.read(fileId))).toEqual(bytes);
      const streamed = await files.save(pieces(bytes, 300));
      expect(await readAll(files.read(streamed))).toEqual(bytes);
    }
    const big = Buffer.concat(Array.from({ length: 10 }, () => marker));
    const id = await files.save(big);
    expect((await readFile(join(dir, FILES_DIR, id))).includes(marker)).toBe(false);
    expect((await readFile(join(dir, FILES_DIR, id))).includes(Buffer.from("QUETZAL"))).toBe(false);
  });

  it("a plain file (written before encryption) reads as it is", async () => {
    const { files } = open();
    const plainId = await openFileStore(dir).save(Buffer.from("plain bytes"));
    expect((await readAll(files.read(plainId))).toString()).toBe("plain bytes");
    expect(await files.keyIdOf(plainId)).toBeUndefined();
  });

  it("tampering fails the read: a flipped byte, a cut tail, a dropped segment, bytes appended", async () => {
    const { files } = open();
    const bytes = randomBytes(3 * SEGMENT + 5);
    const fileId = await files.save(bytes);
    const path = join(dir, FILES_DIR, fileId);
    const sealed = await readFile(path);
    const header = 8 + 1 + (sealed[8] ?? 0) + 16;
    const frame = 1 + 4 + 12 + SEGMENT + 16;
    const variants: Buffer[] = [];
    for (const at of [header + 20, sealed.length - 3]) {
      const flipped = Buffer.from(sealed);
      flipped[at] = (flipped[at] ?? 0) ^ 0x40;
      variants.push(flipped);
    }
    variants.push(sealed.subarray(0, sealed.length - 10)); // cut inside the last segment
    variants.push(sealed.subarray(0, header + frame)); // cut after a whole segment: no final segment
    variants.push(Buffer.concat([sealed.subarray(0, header), sealed.subarray(header + frame)])); // a segment dropped
    variants.push(Buffer.concat([sealed, Buffer.from("x")])); // bytes after the final segment
    for (const variant of variants) {
      await writeFile(path, variant);
      await expect(readAll(files.read(fileId))).rejects.toMatchObject({ code: "CT_STATE_CORRUPT" });
    }
  });

  it("a file sealed under a key the ring does not hold fails, naming the key id", async () => {
    const { files, keyring } = open();
    const fileId = await files.save(Buffer.from("secret"));
    await rm(join(dir, "master.key"));
    const otherDir = await mkdtemp(join(tmpdir(), "clawtell-sealed-files-other-"));
    try {
      const stranger = sealFileStore(openFileStore(dir), openKeyring({ file: join(otherDir, "master.key") }));
      await expect(readAll(stranger.read(fileId))).rejects.toThrow(new RegExp(`master key "${keyring.current().id}"`));
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it("after a rotation, reseal moves a file to the new key; its bytes stay; a removed file stays removed", async () => {
    const { files, keyFile, keyring } = open();
    const bytes = randomBytes(2 * SEGMENT + 9);
    const fileId = await files.save(bytes);
    const oldId = keyring.current().id;
    expect(await files.keyIdOf(fileId)).toBe(oldId);
    const { id: newId } = rotateKeyFile(keyFile, 1);
    expect(keyring.current().id).toBe(newId);
    expect(await readAll(files.read(fileId))).toEqual(bytes); // the old key still opens it
    expect(await files.reseal(fileId)).toBe(true);
    expect(await files.keyIdOf(fileId)).toBe(newId);
    expect(await readAll(files.read(fileId))).toEqual(bytes);
    // A plain file is sealed by a reseal too.
    const plainId = await openFileStore(dir).save(Buffer.from("was plain"));
    expect(await files.reseal(plainId)).toBe(true);
    expect(await files.keyIdOf(plainId)).toBe(newId);
    expect((await readAll(files.read(plainId))).toString()).toBe("was plain");
    // Gone: reseal answers false and does not bring it back.
    await files.remove([fileId]);
    expect(await files.reseal(fileId)).toBe(false);
    expect(await readdir(join(dir, FILES_DIR))).not.toContain(fileId);
  });
});
