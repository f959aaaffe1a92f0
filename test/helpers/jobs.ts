// Builders for queue tests.
import type { NewJob } from "../../src/daemon/queue/index.js";
import type { Job } from "../../src/daemon/queue/index.js";

export function makeNewJob(id: string, overrides: Partial<NewJob> = {}): NewJob {
  return {
    id,
    accountId: "default",
    recipient: "bob",
    routeKey: "bob",
    message: { id, from: "tell/alice", to_name: "bob", subject: "Message", body: `body of ${id}`, createdAt: "2026-11-22T10:00:00.000Z", attachments: [] },
    ...overrides,
  };
}

export function makeJob(overrides: Partial<Job> = {}): Job {
  const base = makeNewJob(overrides.id ?? "m1");
  return { ...base, state: "queued", attempts: 0, nextAttemptAt: 0, enqueuedAt: 0, updatedAt: 0, ...overrides };
}

export const TEST_POLICY = { maxAttempts: 10, backoffBaseMs: 5_000, backoffCapMs: 900_000, deadLetterMaxCount: 1_000, deadLetterRetentionDays: 30 };
