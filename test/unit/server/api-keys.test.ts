import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import bcrypt from "bcryptjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_KEY_FAILURES_PER_MINUTE, createKeyVerifier, generateApiKey, keyPrefixOf, replaceKey } from "../../../src/server/api-keys.js";
import { DATABASE_FILE, createName, openEmbeddedDirectory, type DirectoryStore } from "../../../src/server/index.js";

describe("API keys", () => {
  let dir: string;
  let opened: ReturnType<typeof openEmbeddedDirectory>;
  let store: DirectoryStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-keys-"));
    opened = openEmbeddedDirectory({ dataDir: dir });
    store = opened.directory;
  });
  afterEach(async () => {
    await opened.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("have the claw_<prefix>_<secret> form and a findable prefix", () => {
    const { apiKey, prefix } = generateApiKey();
    expect(apiKey).toMatch(/^claw_[a-z0-9]+_[A-Za-z0-9_-]+$/);
    expect(keyPrefixOf(apiKey)).toBe(prefix);
    expect(keyPrefixOf("claw_test_x")).toBeUndefined();
  });

  it("are stored only as a bcrypt hash", async () => {
    const created = await createName(store, { name: "alice", email: "a@example.com" }, { bcryptCost: 4 });
    const record = await store.findNameByName("alice");
    expect(record?.keyHash).not.toContain(created.apiKey);
    expect(await bcrypt.compare(created.apiKey, record?.keyHash ?? "")).toBe(true);
  });

  it("run the slow hash at most once per key, never accept a wrong secret with a right prefix, and check again once the stored hash changes", async () => {
    const created = await createName(store, { name: "alice", email: "a@example.com" }, { bcryptCost: 4 });
    let hashed = 0;
    const verifier = createKeyVerifier(store, {
      compare: async (key, hash) => {
        hashed++;
        return bcrypt.compare(key, hash);
      },
    });
    expect((await verifier.verify(created.apiKey))?.name).toBe("alice");
    expect((await verifier.verify(created.apiKey))?.name).toBe("alice");
    expect(hashed).toBe(1);
    const prefix = keyPrefixOf(created.apiKey) ?? "";
    expect(await verifier.verify(`claw_${prefix}_${"x".repeat(32)}`)).toBeUndefined();
    expect(hashed).toBe(1);
    // Another process replaces the stored hash by one that matches nothing: the remembered key is hashed again, and fails.
    const db = new DatabaseSync(join(dir, DATABASE_FILE));
    db.prepare("UPDATE names SET key_hash = ? WHERE name = 'alice'").run(await bcrypt.hash("something else", 4));
    db.close();
    expect(await verifier.verify(created.apiKey)).toBeUndefined();
    expect(hashed).toBe(2);
  });

  it("refuse a key from the next call on once the name has a new key, and accept the new key", async () => {
    const created = await createName(store, { name: "alice", email: "a@example.com" }, { bcryptCost: 4 });
    const verifier = createKeyVerifier(store);
    const record = await verifier.verify(created.apiKey);
    expect(record?.name).toBe("alice");
    const { apiKey } = await replaceKey(store, record ?? expect.unreachable(), 4);
    expect(await verifier.verify(created.apiKey)).toBeUndefined();
    expect((await verifier.verify(apiKey))?.name).toBe("alice");
  });

  it("stops hashing one address's wrong secrets for a prefix after ten a minute, with 429, and starts again after the minute", async () => {
    const created = await createName(store, { name: "alice", email: "a@example.com" }, { bcryptCost: 4 });
    const prefix = keyPrefixOf(created.apiKey) ?? "";
    let clock = 1_000_000;
    let hashed = 0;
    const verifier = createKeyVerifier(store, {
      now: () => clock,
      compare: async (key, hash) => {
        hashed++;
        return bcrypt.compare(key, hash);
      },
    });
    const wrong = (i: number): string => `claw_${prefix}_${String(i).padStart(32, "w")}`;
    for (let i = 0; i < MAX_KEY_FAILURES_PER_MINUTE; i++) expect(await verifier.verify(wrong(i), "10.0.0.66")).toBeUndefined();
    expect(hashed).toBe(MAX_KEY_FAILURES_PER_MINUTE);
    clock += 15_000;
    await expect(verifier.verify(wrong(50), "10.0.0.66")).rejects.toMatchObject({ code: "CT_RATE_LIMITED", retryAfterMs: 45_000 });
    // Even the right key: from that address it is not hashed until the minute is over.
    await expect(verifier.verify(created.apiKey, "10.0.0.66")).rejects.toMatchObject({ code: "CT_RATE_LIMITED" });
    expect(hashed).toBe(MAX_KEY_FAILURES_PER_MINUTE);
    // The owner, from another address, is not held up; once verified, the key works from anywhere.
    expect((await verifier.verify(created.apiKey, "10.0.0.7"))?.name).toBe("alice");
    expect((await verifier.verify(created.apiKey, "10.0.0.66"))?.name).toBe("alice");
    expect(hashed).toBe(MAX_KEY_FAILURES_PER_MINUTE + 1);
    clock += 45_000;
    // A wrong secret for a prefix whose key was verified (and whose stored hash is unchanged) needs no hash at all.
    expect(await verifier.verify(wrong(99), "10.0.0.66")).toBeUndefined();
    expect(hashed).toBe(MAX_KEY_FAILURES_PER_MINUTE + 1);
  });
});
