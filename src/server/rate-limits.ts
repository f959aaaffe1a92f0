/**
 * Rate limits on each context (`@fastify/rate-limit`): per caller address on the public routes, per API key on the
 * routes that need one. A request counts once, when it arrives: a long poll or a stream is one request however long
 * it waits. Past the limit: 429 CT_RATE_LIMITED with an integer `Retry-After` and `retry_after` (seconds) in the body.
 * Counters live in the process, or in Redis (an `ioredis` client) so that several processes share them; there a
 * process takes counts in blocks (rate-limit-blocks.ts: exact up to limits of 1 000 a window, within a thousandth
 * above). The key-guessing bounds (api-keys.ts) are separate and stay.
 */

import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Redis } from "ioredis";
import { ClawTellError } from "../infra/index.js";
import type { RateLimit } from "./context.js";
import { redisBlockStore } from "./rate-limit-blocks.js";

/** Requests per caller address per minute on the public routes. */
export const DEFAULT_PUBLIC_RATE_LIMIT: Required<RateLimit> = { max: 6_000, windowMs: 60_000 };
/**
 * Requests per API key per minute on the routes that need one: 20 000 a second, above what one busy agent's send,
 * poll and ack loop reaches on one process, so the default only stops a runaway client. Operators set their own.
 */
export const DEFAULT_KEY_RATE_LIMIT: Required<RateLimit> = { max: 1_200_000, windowMs: 60_000 };

/** Prefix of the counters' keys in Redis. */
export const REDIS_KEY_PREFIX = "clawtell:rate:";

/** Counters in Redis, shared by every process given the same client settings and prefix. */
export interface RedisRateLimitStore {
  readonly redis: Redis;
  /** @defaultValue {@link REDIS_KEY_PREFIX} */
  readonly prefix?: string;
}

export interface ContextRateLimit {
  readonly limit: Required<RateLimit>;
  /** What requests are counted by: `address:<ip>` or `key:<name id>`. */
  readonly counter: (request: FastifyRequest) => string;
  /** Separates this context's counters from the other's in a shared store. */
  readonly scope: string;
  readonly store?: RedisRateLimitStore | undefined;
}

export function resolveRateLimit(given: RateLimit | undefined, fallback: Required<RateLimit>): Required<RateLimit> {
  return { max: given?.max ?? fallback.max, windowMs: given?.windowMs ?? fallback.windowMs };
}

/** Counts by caller address. */
export const byAddress = (request: FastifyRequest): string => `address:${request.ip}`;

/**
 * Counts by the API key's name, or by the account of a dashboard session (the authenticated context's hook has set
 * the caller); by address otherwise.
 */
export const byKey = (request: FastifyRequest): string => {
  const { caller } = request;
  if (!caller) return byAddress(request);
  return caller.via === "key" ? `key:${caller.name.id}` : `session:${caller.accountId}`;
};

/**
 * Limits every route registered on `scope` after this call. A `max` of 0 turns the limit off. When the store cannot
 * be reached (Redis down) requests are let through rather than refused.
 */
export async function limitRequests(scope: FastifyInstance, plan: ContextRateLimit): Promise<void> {
  if (plan.limit.max <= 0) return;
  await scope.register(rateLimit, {
    max: plan.limit.max,
    timeWindow: plan.limit.windowMs,
    hook: "onRequest",
    keyGenerator: plan.counter,
    skipOnError: true,
    // The counts are told with the 429 only: three more headers on every answer cost more than they are worth.
    addHeadersOnExceeding: { "x-ratelimit-limit": false, "x-ratelimit-remaining": false, "x-ratelimit-reset": false },
    ...(plan.store === undefined ? {} : { store: redisBlockStore(plan.store.redis, `${plan.store.prefix ?? REDIS_KEY_PREFIX}${plan.scope}:`) }),
    errorResponseBuilder: (_request, context) => {
      const retryAfterMs = Math.max(1, context.ttl);
      return new ClawTellError("CT_RATE_LIMITED", `Too many requests; try again in ${Math.ceil(retryAfterMs / 1000)} s`, { retryAfterMs });
    },
  });
}
