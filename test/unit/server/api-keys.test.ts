import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import bcrypt from "bcryptjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_KEY_FAILURES_PER_MINUTE, createKeyVerifier, generateApiKey, keyPrefixOf } from "../../../src/server/api-keys.js";
import { DATABASE_FILE, createName, openSqliteStore, type SqliteStore } from "../../../src/server/index.js";

describe("API keys", () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-keys-"));
    store = openSqliteStore({ dataDir: dir });
  });
  afterEach(async () => {
    store.close();
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
    const record = store.findNameByName("alice");
    expect(record?.keyHash).not.toContain(created.apiKey);
    expect(await bcrypt.compare(created.apiKey, record?.keyHash ?? "")).toBe(true);
  });

  it("run the slow hash at most once per key, and never accept a wrong secret with a right prefix", async () => {
    const created = await createName(store, { name: "alice", email: "a@example.com" }, { bcryptCost: 4 });
    const verifier = createKeyVerifier(store);
    expect((await verifier.verify(created.apiKey))?.name).toBe("alice");
    // Replace the stored hash by one that matches nothing: a cached key no longer needs bcrypt, a fresh verifier does.
    const db = new DatabaseSync(join(dir, DATABASE_FILE));
    db.prepare("UPDATE names SET key_hash = ? WHERE name = 'alice'").run(await bcrypt.hash("something else", 4));
    db.close();
    expect((await verifier.verify(created.apiKey))?.name).toBe("alice");
    expect(await createKeyVerifier(store).verify(created.apiKey)).toBeUndefined();
    const prefix = keyPrefixOf(created.apiKey) ?? "";
    expect(await verifier.verify(`claw_${prefix}_${"x".repeat(32)}`)).toBeUndefined();
  });

  it("stop hashing wrong secrets for a prefix after ten a minute, keep a verified key working, and start again after the minute", async () => {
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
    expect((await verifier.verify(created.apiKey))?.name).toBe("alice");
    const wrong = (i: number): string => `claw_${prefix}_${String(i).padStart(32, "w")}`;
    clock += 6_000; // past the few seconds in which a wrong secret is refused against the fresh verified key alone
    for (let i = 0; i < 25; i++) expect(await verifier.verify(wrong(i))).toBeUndefined();
    expect(hashed).toBe(1 + MAX_KEY_FAILURES_PER_MINUTE);
    // The owner's key, verified before, needs no hash and still works.
    expect((await verifier.verify(created.apiKey))?.name).toBe("alice");
    clock += 60_000;
    expect(await verifier.verify(wrong(99))).toBeUndefined();
    expect(hashed).toBe(2 + MAX_KEY_FAILURES_PER_MINUTE);
  });
});
