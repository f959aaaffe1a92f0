/** The persisted form of the queue (versioned, parsed with zod on every read). No secrets are ever stored in it. */

import { z } from "zod";
import { MessageSchema } from "../../protocol/index.js";

const JobErrorSchema = z.object({ code: z.string(), message: z.string() });

/** Where a message goes, decided once when it was taken in (its secrets are looked up by `routeKey` at use). */
export const JobRouteSchema = z.object({
  target: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("agent"), agentId: z.string() }),
    z.object({ kind: z.literal("webhook"), url: z.string(), timeoutMs: z.number() }),
    z.object({ kind: z.literal("command"), command: z.string(), args: z.array(z.string()), timeoutMs: z.number() }),
  ]),
  /** Whether a 🦞 copy goes to the human's chat. */
  forward: z.boolean(),
  /** The explicit chat for copies and notices (the route's, else the account's `forwardTo`). */
  forwardTo: z.object({ channel: z.string(), to: z.string(), accountId: z.string().optional(), threadId: z.string().optional() }).optional(),
});
export type JobRoute = z.infer<typeof JobRouteSchema>;

/** The states of one queued message; see delivery-state.ts for the transitions. */
export const DELIVERY_STATES = ["queued", "delivering", "retry_wait", "delivered", "dead"] as const;

export const JobSchema = z.object({
  /** The ClawTell message id (also the dedupe key). */
  id: z.string(),
  accountId: z.string(),
  /** The bare name the message was sent to (`bob` for `tell/bob`). */
  recipient: z.string(),
  /** The routing key that matched (`bob` or `_default`). */
  routeKey: z.string(),
  /**
   * The route resolved at intake. Absent on jobs queued by an older version and on dead letters an operator retried:
   * those are routed by the current config when claimed.
   */
  route: JobRouteSchema.optional(),
  message: MessageSchema,
  state: z.enum(DELIVERY_STATES),
  /** Attempts made so far (a delivery that was cut short by a stop or crash counts). */
  attempts: z.number().int().nonnegative(),
  /** Epoch ms from which the job may be claimed. */
  nextAttemptAt: z.number(),
  /** Epoch ms at which a claim counts as abandoned (only while `delivering`). */
  leaseUntil: z.number().optional(),
  lastError: JobErrorSchema.optional(),
  enqueuedAt: z.number(),
  updatedAt: z.number(),
  /** When the 🦞 copy reached the human's chat: it is never sent twice. */
  forwardedAt: z.number().optional(),
  /** When the target took the message while the 🦞 copy was still owed: the target is not called twice. */
  dispatchedAt: z.number().optional(),
  /**
   * The agent's answer, kept from the end of its turn until the reply is sent: a crash in between sends this answer
   * instead of running the turn again (OpenClaw would recognise the message and run nothing).
   */
  answer: z.string().optional(),
  deadAt: z.number().optional(),
});

export const QueueStateSchema = z.object({
  version: z.literal(1),
  /** Bumped by every compaction; the journal names the generation it continues (see journal.ts). */
  generation: z.number().int().nonnegative().optional(),
  /** Jobs not yet delivered: queued, delivering, retry_wait. Claim order is this order (enqueue order). */
  jobs: z.array(JobSchema),
  /** Dead letters, oldest first. */
  dead: z.array(JobSchema),
  /** Message ids already taken in, with when (epoch ms): a redelivery is recognised even after the job left. */
  seen: z.array(z.tuple([z.string(), z.number()])),
});

export type QueueState = z.infer<typeof QueueStateSchema>;
/** One queued message and its delivery progress (see delivery-state.ts for the states). */
export type Job = z.infer<typeof JobSchema>;
export type JobError = z.infer<typeof JobErrorSchema>;
export type DeliveryState = Job["state"];

export const emptyQueueState = (): QueueState => ({ version: 1, generation: 0, jobs: [], dead: [], seen: [] });
