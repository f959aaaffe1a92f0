// A burst of wrong keys against one name: guesses are counted as their hash starts and hashing is capped, so the
// burst is mostly refused with 429 at once, and the owner's key, recognised before, keeps working throughout.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_BCRYPT_COST, MAX_KEY_FAILURES_PER_MINUTE, keyPrefixOf } from "../../../src/server/api-keys.js";
import { createName, type CreatedName } from "../../../src/server/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

describe("key guessing", () => {
  let server: TestServer;
  let alice: CreatedName;

  beforeEach(async () => {
    server = await startTestServer();
    // The production cost: the hash is slow enough for guesses to pile up.
    alice = await createName(server.storage.directory, { name: "alice", email: "alice@example.com" }, { bcryptCost: DEFAULT_BCRYPT_COST });
  });
  afterEach(async () => server.close());

  it("hashes at most the minute's allowance of a burst of 100 concurrent wrong keys, answers the rest 429, and lets a known key through meanwhile", async () => {
    const bob = await server.createName("bob", "bob@example.com");
    expect((await api(server, "GET", "/api/me", { key: bob.apiKey })).status).toBe(200);
    const prefix = keyPrefixOf(alice.apiKey) ?? "";
    const guesses = Array.from({ length: 100 }, (_, i) => `claw_${prefix}_${String(i).padStart(32, "g")}`);
    const burst = Promise.all(guesses.map((key) => api(server, "GET", "/api/me", { key, headers: { connection: "close" } })));
    // Bob, from the same address, on new connections: recognised without hashing, never held behind the guesses.
    const owner = await Promise.all(Array.from({ length: 10 }, () => api(server, "GET", "/api/me", { key: bob.apiKey, headers: { connection: "close" } })));
    expect(owner.map((a) => a.status)).toEqual(Array.from({ length: 10 }, () => 200));
    const answers = await burst;
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(MAX_KEY_FAILURES_PER_MINUTE);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(100 - MAX_KEY_FAILURES_PER_MINUTE);
    for (const answer of limited) {
      expect(answer.body).toMatchObject({ statusCode: 429, code: "CT_RATE_LIMITED" });
      expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    // Then one at a time: hashed until the minute's allowance (burst included) is used up, refused after that.
    let hashed = statuses.filter((s) => s === 401).length;
    const after: number[] = [];
    for (let i = 0; i <= MAX_KEY_FAILURES_PER_MINUTE; i++) {
      const { status } = await api(server, "GET", "/api/me", { key: `claw_${prefix}_${String(i).padStart(32, "s")}` });
      after.push(status);
      if (status === 401) hashed++;
      if (status === 429) break;
    }
    expect(after.at(-1)).toBe(429);
    expect(hashed).toBe(MAX_KEY_FAILURES_PER_MINUTE);
  });
});
