// The clean-up of ended sign-ins and sessions on a manual clock, with a real embedded storage: it runs at each turn of
// the clock even when a clean-up takes clock time (turns do not drift by its length), deletes what has ended by then,
// and leaves nothing waiting once stopped.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManualClock, createSilentLogger } from "../../../src/infra/index.js";
import { startSignupCleanup } from "../../../src/server/signup-cleanup.js";
import type { SessionStore } from "../../../src/server/store/index.js";
import { embeddedBackend, type OpenedStorage } from "../../helpers/storage-backends.js";

const INTERVAL = 60_000;
const T0 = 1_000_000;

describe("the sign-up clean-up", () => {
  let opened: OpenedStorage;
  beforeEach(async () => {
    opened = await embeddedBackend.open();
    await opened.storage.directory.insertAccount({ id: "acc_1", email: "team@example.com", createdAt: T0 });
  });
  afterEach(async () => {
    await opened.dispose();
  });

  const session = (tokenHash: string, expiresAt: number) => ({ tokenHash, accountId: "acc_1", createdAt: T0, expiresAt, ip: null });

  it("runs at each turn of the clock however long a clean-up takes, deletes what ended by then, and stops", async () => {
    const clock = createManualClock(T0);
    const { sessions, registrations } = opened.storage;
    await sessions.insertSession(session("a".repeat(64), T0 + INTERVAL / 2));
    await sessions.insertSession(session("b".repeat(64), T0 + 2 * INTERVAL + 1));
    const ranAt: number[] = [];
    // The first clean-up takes half an interval of the clock (a slow database).
    const slow: SessionStore = {
      ...sessions,
      purgeSessions: async (now) => {
        ranAt.push(now);
        if (ranAt.length === 1) await clock.advance(INTERVAL / 2);
        return sessions.purgeSessions(now);
      },
    };
    const cleanup = startSignupCleanup({ registrations, sessions: slow, clock, logger: createSilentLogger(), intervalMs: INTERVAL });
    try {
      await clock.advance(INTERVAL);
      await expect.poll(() => ranAt).toEqual([T0 + INTERVAL]);
      await expect.poll(() => sessions.findSession("a".repeat(64))).toBeUndefined();
      // The clock is now half an interval past the first turn; the second is due one interval after the first.
      await clock.set(T0 + 2 * INTERVAL);
      await expect.poll(() => ranAt).toEqual([T0 + INTERVAL, T0 + 2 * INTERVAL]);
      expect(await sessions.findSession("b".repeat(64))).toBeDefined();
      await clock.set(T0 + 3 * INTERVAL);
      await expect.poll(() => ranAt.length).toBe(3);
      await expect.poll(() => sessions.findSession("b".repeat(64))).toBeUndefined();
    } finally {
      await cleanup.stop();
    }
    await clock.advance(10 * INTERVAL);
    expect(ranAt).toHaveLength(3);
  });
});
