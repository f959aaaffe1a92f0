// Messages sealed in batches in a worker thread: the same stored format as sealing in place, a failed batch fails only
// itself (the next one works, in a new thread if the old one died), and stop ends the thread.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ClawTellError } from "../../../../src/infra/index.js";
import { SEAL_PREFIX, createSealer, startSealBatches, type Keyring, type MasterKey } from "../../../../src/server/crypto/index.js";

/** A keyring whose current key the test chooses (the keys it may open are all it was given). */
function switchableKeyring(first: MasterKey): Keyring & { use(key: MasterKey): void } {
  const keys = new Map<string, Buffer>([[first.id, first.key]]);
  let current = first;
  return {
    current: () => current,
    find: (id) => keys.get(id),
    use(key) {
      keys.set(key.id, key.key);
      current = key;
    },
  };
}

const failure = async (promise: Promise<unknown>): Promise<ClawTellError> => {
  const caught = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(caught).toBeInstanceOf(ClawTellError);
  return caught as ClawTellError;
};

const texts = (n: number, tag: string): Array<{ subject: string; body: string; context: string }> =>
  Array.from({ length: n }, (_, i) => ({ subject: i % 3 === 0 ? "" : `subject ${tag} ${i} ✓`, body: `body ${tag} ${i} — ünïcode`.repeat(1 + (i % 4)), context: `message:${tag}-${i}` }));

describe("sealing in batches in a worker thread", () => {
  it("seals a batch in the thread in the stored format: each pair opens with its own context, under the current key", async () => {
    const keyring = switchableKeyring({ id: "k1", key: randomBytes(32) });
    const sealer = createSealer(keyring);
    const batches = startSealBatches(keyring, sealer, { inPlaceBelow: 0 });
    try {
      const asked = texts(40, "a");
      const sealed = await Promise.all(asked.map((t) => batches.sealPair(t.subject, t.body, t.context)));
      expect(batches.threads()).toBe(1);
      sealed.forEach((pair, i) => {
        const t = asked[i];
        if (t === undefined) throw new Error("missing text");
        expect(pair.subject).toBe(`${SEAL_PREFIX}k1:`);
        expect(pair.body.startsWith(`${SEAL_PREFIX}k1:`)).toBe(true);
        expect(pair.body).not.toContain(t.body.slice(0, 10));
        expect(sealer.openPair(pair.subject, pair.body, t.context)).toEqual({ subject: t.subject, body: t.body });
      });
      // Bound to its row: another message's context does not open it.
      expect(() => sealer.openPair(sealed[0]?.subject ?? "", sealed[0]?.body ?? "", "message:a-1")).toThrow(ClawTellError);
      // A new key is told to the thread with the next batch.
      keyring.use({ id: "k2", key: randomBytes(32) });
      const [rotated] = await Promise.all([batches.sealPair("s", "b", "message:r"), batches.sealPair("s2", "b2", "message:r2")]);
      expect(rotated?.subject).toBe(`${SEAL_PREFIX}k2:`);
      expect(sealer.openPair(rotated?.subject ?? "", rotated?.body ?? "", "message:r")).toEqual({ subject: "s", body: "b" });
    } finally {
      await batches.stop();
    }
  });

  it("small batches seal in place when the thread holds none, in the same format", async () => {
    const keyring = switchableKeyring({ id: "k1", key: randomBytes(32) });
    const sealer = createSealer(keyring);
    const batches = startSealBatches(keyring, sealer);
    try {
      const pair = await batches.sealPair("hello", "world", "message:m1");
      expect(batches.threads()).toBe(0);
      expect(sealer.openPair(pair.subject, pair.body, "message:m1")).toEqual({ subject: "hello", body: "world" });
    } finally {
      await batches.stop();
    }
  });

  it("a batch the thread cannot seal fails, every message of it, without the key in the error; the next batch works", async () => {
    const bad: MasterKey = { id: "bad", key: randomBytes(5) };
    const keyring = switchableKeyring(bad);
    const sealer = createSealer(keyring);
    const batches = startSealBatches(keyring, sealer, { inPlaceBelow: 0 });
    try {
      const asked = texts(6, "f");
      const errors = await Promise.all(asked.map((t) => failure(batches.sealPair(t.subject, t.body, t.context))));
      for (const err of errors) {
        expect(err.code).toBe("CT_INTERNAL");
        expect(err.message).not.toContain(bad.key.toString("hex"));
        expect(err.message).not.toContain(bad.key.toString("base64"));
      }
      keyring.use({ id: "good", key: randomBytes(32) });
      const pair = await batches.sealPair("after", "the failure", "message:ok");
      expect(sealer.openPair(pair.subject, pair.body, "message:ok")).toEqual({ subject: "after", body: "the failure" });
    } finally {
      await batches.stop();
    }
  });

  it("a thread that dies fails its batch only; the next batch is sealed by a new thread", async () => {
    const keyring = switchableKeyring({ id: "k1", key: randomBytes(32) });
    const sealer = createSealer(keyring);
    // A small heap: a batch of 64 MB of text cannot be held by the thread, which ends out of memory.
    const batches = startSealBatches(keyring, sealer, { inPlaceBelow: 0, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
    try {
      const huge = "x".repeat(16 * 1024 * 1024);
      const errors = await Promise.all([0, 1, 2, 3].map((i) => failure(batches.sealPair("", huge, `message:huge-${i}`))));
      for (const err of errors) {
        expect(err.code).toBe("CT_INTERNAL");
        expect((err.cause as { code?: string } | undefined)?.code).toBe("ERR_WORKER_OUT_OF_MEMORY");
      }
      const pair = await batches.sealPair("next", "batch", "message:next");
      expect(sealer.openPair(pair.subject, pair.body, "message:next")).toEqual({ subject: "next", body: "batch" });
      expect(batches.threads()).toBe(1);
    } finally {
      await batches.stop();
    }
  });

  it("stop ends the thread; later seals fail with CT_UNAVAILABLE", async () => {
    const keyring = switchableKeyring({ id: "k1", key: randomBytes(32) });
    const batches = startSealBatches(keyring, createSealer(keyring), { inPlaceBelow: 0 });
    await batches.sealPair("s", "b", "message:1");
    expect(batches.threads()).toBe(1);
    await batches.stop();
    expect(batches.threads()).toBe(0);
    expect((await failure(batches.sealPair("s", "b", "message:2"))).code).toBe("CT_UNAVAILABLE");
    await batches.stop();
  });
});
