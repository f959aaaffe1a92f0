// Sealed text fields: round trip, binding to their context and key id, tampering, unknown keys, keys by value.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClawTellError } from "../../../../src/infra/index.js";
import { createRecentPairs } from "../../../../src/server/crypto/recent-pairs.js";
import { SEAL_PREFIX, createSealer, derivedKeyId, openKeyring, plainValue, rotateKeyFile, sealedKeyId, storedPlain } from "../../../../src/server/crypto/index.js";

const KEY_A = "11".repeat(32);
const KEY_B = Buffer.alloc(32, 7).toString("base64");

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "clawtell-seal-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const corrupt = (fn: () => unknown): void => {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ClawTellError);
  expect((caught as ClawTellError).code).toBe("CT_STATE_CORRUPT");
};

describe("sealed text fields", () => {
  it("seal and open round trip, and the sealed form shows nothing of the text", () => {
    const sealer = createSealer(openKeyring({ file: join(dir, "master.key") }));
    const text = "zanzibar quokka — ünïcode ✓";
    const sealed = sealer.seal(text, "message:m1:body");
    expect(sealed.startsWith(`${SEAL_PREFIX}${sealer.currentKeyId()}:`)).toBe(true);
    expect(sealed).not.toContain("zanzibar");
    expect(sealer.open(sealed, "message:m1:body")).toBe(text);
    // A fresh nonce each time.
    expect(sealer.seal(text, "message:m1:body")).not.toBe(sealed);
    expect(sealer.seal("", "message:m1:subject")).not.toBe("");
    expect(sealer.open(sealer.seal("", "x"), "x")).toBe("");
  });

  it("plain text (written before encryption) opens as it is", () => {
    const sealer = createSealer(openKeyring({ file: join(dir, "master.key") }));
    expect(sealer.open("hello", "message:m1:body")).toBe("hello");
  });

  it("plain text that begins with a prefix of ours is stored escaped and reads back whole; old plain text that merely begins with the escape reads as it is", () => {
    for (const text of ["ctseal1:k:abc", "ctplain1:ctseal1:x", "ctplain1:ctplain1:", "ctplain1:", "ctplain1:hello", "hello"]) {
      expect(plainValue(storedPlain(text))).toBe(text);
    }
    // Stored before the escape existed (nothing escaped it): only `ctplain1:` + a prefix of ours is read as an escape.
    expect(plainValue("ctplain1:hello")).toBe("ctplain1:hello");
    expect(plainValue("ctplain1:")).toBe("ctplain1:");
  });

  it("a value moved to another row or field does not open", () => {
    const sealer = createSealer(openKeyring({ file: join(dir, "master.key") }));
    const sealed = sealer.seal("secret", "message:m1:body");
    corrupt(() => sealer.open(sealed, "message:m2:body"));
    corrupt(() => sealer.open(sealed, "message:m1:subject"));
  });

  it("a tampered value does not open: a flipped byte, a cut tail, a relabelled key id", () => {
    const keyring = openKeyring({ file: join(dir, "master.key") });
    const sealer = createSealer(keyring);
    const sealed = sealer.seal("secret words", "message:m1:body");
    const id = sealer.currentKeyId();
    const payload = Buffer.from(sealed.slice(SEAL_PREFIX.length + id.length + 1), "base64url");
    for (const at of [0, 12, payload.length - 1]) {
      const bad = Buffer.from(payload);
      bad[at] = (bad[at] ?? 0) ^ 1;
      corrupt(() => sealer.open(`${SEAL_PREFIX}${id}:${bad.toString("base64url")}`, "message:m1:body"));
    }
    corrupt(() => sealer.open(sealed.slice(0, -4), "message:m1:body"));
    corrupt(() => sealer.open(`${SEAL_PREFIX}${id}:AAAA`, "message:m1:body"));
    // Relabelled with another key the ring holds: the key id is in the additional data.
    const { id: other } = rotateKeyFile(join(dir, "master.key"), 1);
    corrupt(() => sealer.open(sealed.replace(`${SEAL_PREFIX}${id}:`, `${SEAL_PREFIX}${other}:`), "message:m1:body"));
  });

  it("a value naming a key the ring does not hold fails, naming the key id", () => {
    const sealer = createSealer(openKeyring({ file: join(dir, "master.key") }));
    const sealed = sealer.seal("secret", "c");
    const elsewhere = createSealer(openKeyring({ file: join(dir, "other.key") }));
    expect(() => elsewhere.open(sealed, "c")).toThrow(new RegExp(`master key "${sealer.currentKeyId()}"`));
    expect(sealedKeyId(sealed)).toBe(sealer.currentKeyId());
    expect(sealedKeyId("plain")).toBeUndefined();
  });

  it("with sealNew false, new text stays plain and sealed text still opens", () => {
    const keyring = openKeyring({ file: join(dir, "master.key") });
    const sealed = createSealer(keyring).seal("old secret", "c");
    const plain = createSealer(keyring, { sealNew: false });
    expect(plain.seal("new text", "c")).toBe("new text");
    expect(plain.open(sealed, "c")).toBe("old secret");
  });
});

describe("sealed pairs (a row's subject and body in one seal)", () => {
  it("round trip, also in another process; the subject field holds only the marker", () => {
    const keyring = openKeyring({ file: join(dir, "master.key") });
    const sealer = createSealer(keyring);
    const id = sealer.currentKeyId();
    for (const [subject, body] of [
      ["zanzibar", "quokka — ünïcode ✓"],
      ["", "only a body"],
      ["12:3:", "4:5"],
      ["a subject", ""],
      ["", ""],
    ] as const) {
      const sealed = sealer.sealPair(subject, body, "message:m1");
      expect(sealed.subject).toBe(`${SEAL_PREFIX}${id}:`);
      expect(sealed.body.startsWith(`${SEAL_PREFIX}${id}:`)).toBe(true);
      expect(sealed.body).not.toContain("zanzibar");
      expect(sealed.body).not.toContain("quokka");
      expect(sealer.openPair(sealed.subject, sealed.body, "message:m1")).toMatchObject({ subject, body });
      expect(createSealer(keyring).openPair(sealed.subject, sealed.body, "message:m1")).toEqual({ subject, body });
    }
    expect(sealer.sealPair("s", "b", "message:m1").body).not.toBe(sealer.sealPair("s", "b", "message:m1").body);
  });

  it("rows sealed field by field, and plain rows, still open", () => {
    const sealer = createSealer(openKeyring({ file: join(dir, "master.key") }));
    const subject = sealer.seal("old subject", "message:m1:subject");
    const body = sealer.seal("old body", "message:m1:body");
    expect(sealer.openPair(subject, body, "message:m1")).toEqual({ subject: "old subject", body: "old body" });
    expect(sealer.openPair("plain s", "plain b", "message:m1")).toEqual({ subject: "plain s", body: "plain b" });
  });

  it("a pair moved, tampered with, split from its marker or opened as a single field does not open", () => {
    const keyring = openKeyring({ file: join(dir, "master.key") });
    const sealer = createSealer(keyring);
    const fresh = (): ReturnType<typeof createSealer> => createSealer(keyring);
    const pair = sealer.sealPair("secret subject", "secret body", "message:m1");
    const id = sealer.currentKeyId();
    // Moved to another row: also when the process remembers it.
    corrupt(() => sealer.openPair(pair.subject, pair.body, "message:m2"));
    corrupt(() => fresh().openPair(pair.subject, pair.body, "approval:m1"));
    // Its body opened as a single field (the marker replaced by plain text), or a single field behind a marker.
    corrupt(() => fresh().openPair("plain", pair.body, "message:m1"));
    corrupt(() => fresh().open(pair.body, "message:m1:body"));
    corrupt(() => fresh().openPair(pair.subject, sealer.seal("x", "message:m1:body"), "message:m1"));
    corrupt(() => fresh().openPair(pair.subject, sealer.seal("x", "message:m1"), "message:m1"));
    // A marker whose body is plain, or sealed under another key id.
    corrupt(() => fresh().openPair(pair.subject, "plain body", "message:m1"));
    const { id: other } = rotateKeyFile(join(dir, "master.key"), 1);
    corrupt(() => fresh().openPair(pair.subject, pair.body.replace(`${SEAL_PREFIX}${id}:`, `${SEAL_PREFIX}${other}:`), "message:m1"));
    corrupt(() => fresh().openPair(`${SEAL_PREFIX}${other}:`, pair.body, "message:m1"));
    // A flipped byte anywhere.
    const payload = Buffer.from(pair.body.slice(SEAL_PREFIX.length + id.length + 1), "base64url");
    for (const at of [0, 12, payload.length - 1]) {
      const bad = Buffer.from(payload);
      bad[at] = (bad[at] ?? 0) ^ 1;
      corrupt(() => fresh().openPair(pair.subject, `${SEAL_PREFIX}${id}:${bad.toString("base64url")}`, "message:m1"));
    }
  });

  it("recent pairs answer only the exact fields sealed for that id", () => {
    const sealer = createSealer(openKeyring({ file: join(dir, "master.key") }));
    const recent = createRecentPairs(4);
    const plain = { subject: "s", body: "b" };
    const sealed = sealer.sealPair(plain.subject, plain.body, "message:m1");
    recent.remember("m1", sealed, plain);
    expect(recent.find("m1", { subject: sealed.subject, body: sealed.body })).toEqual(plain);
    expect(recent.find("m2", sealed)).toBeUndefined();
    expect(recent.find("m1", { subject: "s", body: sealed.body })).toBeUndefined();
    expect(recent.find("m1", sealer.sealPair("s", "b", "message:m1"))).toBeUndefined();
    // Two generations of half the capacity: the oldest are forgotten.
    for (const id of ["m2", "m3", "m4", "m5"]) recent.remember(id, sealed, plain);
    expect(recent.find("m1", sealed)).toBeUndefined();
    expect(recent.find("m5", sealed)).toEqual(plain);
    expect(createRecentPairs(0).find("m1", sealed)).toBeUndefined();
  });

  it("with sealNew false, a new pair stays plain and a sealed pair still opens", () => {
    const keyring = openKeyring({ file: join(dir, "master.key") });
    const sealed = createSealer(keyring).sealPair("s", "b", "c");
    const plain = createSealer(keyring, { sealNew: false });
    expect(plain.sealPair("new s", "new b", "c")).toEqual({ subject: "new s", body: "new b" });
    expect(plain.openPair(sealed.subject, sealed.body, "c")).toMatchObject({ subject: "s", body: "b" });
  });
});

describe("keys by value (CLAWTELL_MASTER_KEY)", () => {
  it("hex or base64; the id is derived from the key, so processes given it name it alike; no key file is made", () => {
    const a = openKeyring({ file: join(dir, "master.key"), value: KEY_A });
    expect(a.current().id).toBe(derivedKeyId(Buffer.from(KEY_A, "hex")));
    expect(openKeyring({ file: join(dir, "none.key"), value: KEY_A }).current().id).toBe(a.current().id);
    const sealed = createSealer(a).seal("x", "c");
    expect(createSealer(openKeyring({ value: KEY_A })).open(sealed, "c")).toBe("x");
    expect(openKeyring({ value: KEY_B }).current().key).toEqual(Buffer.alloc(32, 7));
  });

  it("older keys after a comma open what they sealed; the first seals", () => {
    const old = createSealer(openKeyring({ value: KEY_A }));
    const sealed = old.seal("before", "c");
    const both = createSealer(openKeyring({ value: `${KEY_B},${KEY_A}` }));
    expect(both.open(sealed, "c")).toBe("before");
    expect(both.currentKeyId()).toBe(derivedKeyId(Buffer.alloc(32, 7)));
  });

  it("a key of the wrong size or spelling is refused without showing it", () => {
    for (const bad of ["abcd", "11".repeat(31), "zz".repeat(32), Buffer.alloc(16).toString("base64")]) {
      let message = "";
      try {
        openKeyring({ value: bad });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/CLAWTELL_MASTER_KEY must be 32 bytes/);
      expect(message).not.toContain(bad);
    }
  });
});
