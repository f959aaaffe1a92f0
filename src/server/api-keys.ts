/**
 * API keys: `claw_<prefix>_<secret>`. Only a bcrypt hash is stored; the prefix finds the name. A verified key is
 * remembered (as its SHA-256, compared in constant time, with the stored hash it passed against) so the slow hash runs
 * at most once per key per process, and a different secret for a remembered prefix whose stored hash has not changed
 * is refused without hashing. The name's record is asked of the directory on every call (the embedded directory
 * answers from memory until the database changes; PostgreSQL reads the row): a rotated key (a new prefix and hash)
 * or a deleted name is refused from the next request on, in every process that shares the directory.
 *
 * Guessing is bounded before any hashing starts:
 * - a guess counts when its hash starts: after {@link MAX_KEY_FAILURES_PER_MINUTE} in a minute for one prefix from
 *   one caller address, that address's further unknown secrets for the prefix are answered 429 (with the seconds to
 *   wait) until the minute is over (a guess that turns out right is not counted);
 * - hashes under way are capped per prefix ({@link MAX_HASHES_PER_PREFIX}), per address
 *   ({@link MAX_HASHES_PER_ADDRESS}) and overall ({@link MAX_HASHES_IN_FLIGHT}); past a cap the call is a 429 at
 *   once (`Retry-After: 1`) instead of a wait in line.
 * The hash itself runs off the event loop (key-hasher.ts), so guesses never hold up other requests, and a key
 * verified before never waits behind guesses: it is recognised without hashing, from any address.
 */

import { hash, randomBytes, timingSafeEqual } from "node:crypto";
import bcrypt from "bcryptjs";
import { ClawTellError } from "../infra/index.js";
import type { DirectoryStore, NameRecord } from "./store/index.js";

const KEY_PATTERN = /^claw_([a-z0-9]{8,32})_([A-Za-z0-9_-]{16,128})$/;

/** bcrypt cost for new keys. @defaultValue 10 */
export const DEFAULT_BCRYPT_COST = 10;

export interface GeneratedKey {
  readonly apiKey: string;
  readonly prefix: string;
}

export function generateApiKey(): GeneratedKey {
  const prefix = randomBytes(6).toString("hex");
  const secret = randomBytes(24).toString("base64url");
  return { apiKey: `claw_${prefix}_${secret}`, prefix };
}

export function hashApiKey(apiKey: string, cost = DEFAULT_BCRYPT_COST): Promise<string> {
  return bcrypt.hash(apiKey, cost);
}

/** The lookup prefix of a well-formed key, else `undefined`. */
export function keyPrefixOf(apiKey: string): string | undefined {
  return KEY_PATTERN.exec(apiKey)?.[1];
}

const sha256 = (value: string): Buffer => hash("sha256", value, "buffer");

export interface KeyVerifier {
  /**
   * The name the key belongs to, or `undefined` for an unknown or wrong key. `source` (the caller's address) bounds
   * wrong guesses; throws CT_RATE_LIMITED once that source made too many for the prefix.
   */
  verify(apiKey: string, source?: string): Promise<NameRecord | undefined>;
  /**
   * The name's current record when the key that `verify` answered `record` for still holds (its name exists and its
   * stored hash is the one that key passed against), else `undefined`. Asks the directory as `verify` does, so a
   * replaced key or a deleted name fails here from the next request on; the key itself is not looked at again.
   */
  recheck(record: NameRecord): Promise<NameRecord | undefined>;
}

/** Wrong secrets per prefix, caller address and minute that still get the slow hash. */
export const MAX_KEY_FAILURES_PER_MINUTE = 10;
/** Slow hashes under way at once for one key prefix. */
export const MAX_HASHES_PER_PREFIX = 2;
/** Slow hashes under way at once for one caller address. */
export const MAX_HASHES_PER_ADDRESS = 2;
/** Slow hashes under way at once in the whole server. */
export const MAX_HASHES_IN_FLIGHT = 4;
const FAILURE_WINDOW_MS = 60_000;
const BUSY_RETRY_MS = 1_000;
/** Above this many tracked (prefix, address) pairs, the expired ones are dropped. */
const MAX_TRACKED_FAILURES = 10_000;

export interface KeyVerifierOptions {
  /** Epoch ms. @defaultValue Date.now */
  readonly now?: () => number;
  /** The slow comparison. @defaultValue bcrypt.compare (the server passes its worker-thread hasher) */
  readonly compare?: (apiKey: string, hash: string) => Promise<boolean>;
}

interface VerifiedKey {
  readonly digest: Buffer;
  /** The stored hash the key passed against: when the directory holds another, the key was replaced. */
  readonly keyHash: string;
}

/** Counts of hashes under way, by key. */
class InFlight {
  private readonly counts = new Map<string, number>();
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  add(key: string, delta: number): void {
    const next = this.get(key) + delta;
    if (next <= 0) this.counts.delete(key);
    else this.counts.set(key, next);
  }
}

const busy = (): ClawTellError =>
  new ClawTellError("CT_RATE_LIMITED", "Too many API keys being checked; try again shortly", { retryAfterMs: BUSY_RETRY_MS });

export function createKeyVerifier(directory: Pick<DirectoryStore, "findNameByKeyPrefix">, options: KeyVerifierOptions = {}): KeyVerifier {
  const now = options.now ?? Date.now;
  const compare = options.compare ?? ((apiKey: string, hash: string) => bcrypt.compare(apiKey, hash));
  /** `<prefix> <source>` → guesses hashed (or being hashed) in the current minute. */
  const failures = new Map<string, { count: number; since: number }>();
  /** Throws once the source has used up its guesses for the prefix this minute. */
  const checkThrottle = (slot: string): void => {
    const entry = failures.get(slot);
    if (entry === undefined) return;
    const left = entry.since + FAILURE_WINDOW_MS - now();
    if (left <= 0) failures.delete(slot);
    else if (entry.count >= MAX_KEY_FAILURES_PER_MINUTE) {
      throw new ClawTellError("CT_RATE_LIMITED", "Too many wrong API keys for this name; try again later", { retryAfterMs: left });
    }
  };
  /** Counts a guess as it starts; returns how to take it back (when it proves right). */
  const countGuess = (slot: string): (() => void) => {
    let entry = failures.get(slot);
    if (entry === undefined || now() - entry.since >= FAILURE_WINDOW_MS) {
      if (failures.size >= MAX_TRACKED_FAILURES) {
        for (const [key, old] of failures) if (now() - old.since >= FAILURE_WINDOW_MS) failures.delete(key);
      }
      entry = { count: 0, since: now() };
      failures.set(slot, entry);
    }
    entry.count += 1;
    const counted = entry;
    return () => {
      counted.count = Math.max(0, counted.count - 1);
    };
  };
  const byPrefix = new InFlight();
  const bySource = new InFlight();
  let total = 0;
  /** prefix → the SHA-256 of the full key that passed bcrypt once, with the stored hash it passed against. */
  const verified = new Map<string, VerifiedKey>();
  /** Verifications under way, by key digest: a burst of requests with one new key runs bcrypt once. */
  const inFlight = new Map<string, Promise<NameRecord | undefined>>();
  const slowVerify = async (prefix: string, source: string, apiKey: string, digest: Buffer, record: NameRecord): Promise<NameRecord | undefined> => {
    const slot = `${prefix} ${source}`;
    checkThrottle(slot);
    if (byPrefix.get(prefix) >= MAX_HASHES_PER_PREFIX || bySource.get(source) >= MAX_HASHES_PER_ADDRESS || total >= MAX_HASHES_IN_FLIGHT) throw busy();
    const uncount = countGuess(slot);
    byPrefix.add(prefix, 1);
    bySource.add(source, 1);
    total += 1;
    try {
      if (!(await compare(apiKey, record.keyHash))) return undefined;
      uncount();
      verified.set(prefix, { digest, keyHash: record.keyHash });
      return record;
    } finally {
      byPrefix.add(prefix, -1);
      bySource.add(source, -1);
      total -= 1;
    }
  };
  return {
    async verify(apiKey, source = "") {
      const prefix = keyPrefixOf(apiKey);
      if (prefix === undefined) return undefined;
      const digest = sha256(apiKey);
      // The directory's current record, asked for every request: a key replaced or a name deleted (here, by
      // `clawtell admin`, or by another server on the same database) is refused from the next request on.
      const record = await directory.findNameByKeyPrefix(prefix);
      if (record === undefined) {
        verified.delete(prefix);
        return undefined;
      }
      const known = verified.get(prefix);
      if (known !== undefined && known.keyHash === record.keyHash) {
        // The key verified before still holds: this secret is it, or wrong, without hashing.
        return timingSafeEqual(known.digest, digest) ? record : undefined;
      }
      const id = digest.toString("hex");
      let pending = inFlight.get(id);
      if (pending === undefined) {
        pending = slowVerify(prefix, source, apiKey, digest, record).finally(() => inFlight.delete(id));
        inFlight.set(id, pending);
      }
      return pending;
    },
    async recheck(record) {
      const current = await directory.findNameByKeyPrefix(record.keyPrefix);
      return current !== undefined && current.keyHash === record.keyHash ? current : undefined;
    },
  };
}

/**
 * Gives the name a new key and answers it (shown once; only its hash is stored). The old key's prefix finds nothing
 * from then on, so every verifier sharing the directory refuses it on its next request.
 */
export async function replaceKey(
  directory: Pick<DirectoryStore, "replaceNameKey">,
  name: NameRecord,
  cost = DEFAULT_BCRYPT_COST,
): Promise<{ apiKey: string; record: NameRecord }> {
  const { apiKey, prefix } = generateApiKey();
  const record = await directory.replaceNameKey(name.id, prefix, await hashApiKey(apiKey, cost));
  return { apiKey, record };
}
