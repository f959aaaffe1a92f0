/** The persisted form of the queue (versioned, parsed with zod on every read). No secrets are ever stored in it. */

import { z } from "zod";
import { MessageSchema } from "../../protocol/index.js";

const JobErrorSchema = z.object({ code: z.string(), message: z.string() });

export const JobSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  recipient: z.string(),
  routeKey: z.string(),
  message: MessageSchema,
  state: z.enum(["queued", "delivering", "retry_wait", "delivered", "dead"]),
  attempts: z.number().int().nonnegative(),
  nextAttemptAt: z.number(),
  leaseUntil: z.number().optional(),
  lastError: JobErrorSchema.optional(),
  enqueuedAt: z.number(),
  updatedAt: z.number(),
  forwardedAt: z.number().optional(),
  dispatchedAt: z.number().optional(),
  deadAt: z.number().optional(),
});

export const QueueStateSchema = z.object({
  version: z.literal(1),
  /** Jobs not yet delivered: queued, delivering, retry_wait. */
  jobs: z.array(JobSchema),
  /** Dead letters, oldest first. */
  dead: z.array(JobSchema),
  /** Message ids already taken in, with when: a redelivered message is recognised even after it left the queue. */
  seen: z.array(z.tuple([z.string(), z.number()])),
});

export type QueueState = z.infer<typeof QueueStateSchema>;
/** One queued message and its delivery progress (see delivery-state.ts for the states). */
export type Job = z.infer<typeof JobSchema>;
export type JobError = z.infer<typeof JobErrorSchema>;

export const emptyQueueState = (): QueueState => ({ version: 1, jobs: [], dead: [], seen: [] });
