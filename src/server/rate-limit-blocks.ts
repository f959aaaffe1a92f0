/**
 * A rate-limit counter store shared through Redis that asks Redis once per block of requests rather than once per
 * request. A process takes a block of `blockSize(max)` counts of a key's window with one INCRBY (the counter then
 * stands as if they had all been made) and hands them out to its requests one by one, without a round trip, until
 * the block is used up or the window ends. A limit of up to 1 000 a window gets blocks of one: every request is
 * counted in Redis, exactly as before. Above it, a block is at most a thousandth of the limit (and at most 64), so a
 * key is refused at most that much early per process (counts taken and not used), and at a window's edge a process
 * may still hand out what is left of its block (at most that much late). Requests that arrive together while a block
 * is being taken wait for it instead of each taking one: a wave of long polls opening again costs a few commands.
 */

import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import type { Redis } from "ioredis";

/** Largest block of counts a process takes at once. */
export const MAX_BLOCK = 64;
/** Blocks are at most this share of the limit (a thousandth). */
const BLOCK_SHARE = 1_000;
/** Past this many keys remembered, those whose window has ended are forgotten. */
const SWEEP_AT = 10_000;

/** Counts per block for a limit of `max` requests a window. */
export const blockSize = (max: number): number => Math.max(1, Math.min(MAX_BLOCK, Math.floor(max / BLOCK_SHARE)));

// Adds the block to the key's count, starts its window when it has none, and answers the count and the window's
// remaining milliseconds.
const TAKE_BLOCK_LUA = `
local current = redis.call('INCRBY', KEYS[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}`;

const COMMAND = "clawtellTakeRateBlock";

interface TakeBlock {
  [COMMAND](key: string, windowMs: number, count: number): Promise<[number, number]>;
}

interface Block {
  /** The next count to hand out. */
  next: number;
  /** The last count of the block. */
  readonly last: number;
  /** Epoch ms at which the window ends. */
  readonly windowEnd: number;
}

type Result = { current: number; ttl: number };
type Callback = (error: Error | null, result?: Result) => void;

/** The store class `@fastify/rate-limit` takes as `store`; every instance shares the blocks of this process. */
export function redisBlockStore(redis: Redis, prefix: string, now: () => number = Date.now): FastifyRateLimitStoreCtor {
  if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: TAKE_BLOCK_LUA });
  const take = (redis as Redis & TakeBlock)[COMMAND].bind(redis);
  const blocks = new Map<string, Block>();
  const taking = new Map<string, Promise<void>>();

  const fromBlock = (key: string): Result | undefined => {
    const block = blocks.get(key);
    const at = now();
    if (block === undefined || block.next > block.last || at >= block.windowEnd) return undefined;
    return { current: block.next++, ttl: block.windowEnd - at };
  };

  const takeBlock = (key: string, windowMs: number, max: number): Promise<void> => {
    let pending = taking.get(key);
    if (pending === undefined) {
      const size = blockSize(max);
      pending = take(prefix + key, windowMs, size)
        .then(([current, ttl]) => {
          if (blocks.size >= SWEEP_AT) {
            const at = now();
            for (const [k, b] of blocks) if (at >= b.windowEnd) blocks.delete(k);
          }
          blocks.set(key, { next: Number(current) - size + 1, last: Number(current), windowEnd: now() + Number(ttl) });
        })
        .finally(() => taking.delete(key));
      taking.set(key, pending);
    }
    return pending;
  };

  const incr = (key: string, callback: Callback, windowMs: number, max: number): void => {
    const counted = fromBlock(key);
    if (counted !== undefined) {
      callback(null, counted);
      return;
    }
    takeBlock(key, windowMs, max).then(
      () => {
        const got = fromBlock(key);
        // Others took the whole block first: take another.
        if (got === undefined) incr(key, callback, windowMs, max);
        else callback(null, got);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  };

  return class RedisBlockStore implements FastifyRateLimitStore {
    incr(key: string, callback: Callback, windowMs: number, max: number): void {
      incr(key, callback, windowMs, max);
    }
    child(): FastifyRateLimitStore {
      return this;
    }
  };
}
