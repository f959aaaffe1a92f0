/**
 * API keys: `claw_<prefix>_<secret>`. Only a bcrypt hash is stored; the prefix finds the name. A verified key is
 * remembered (as its SHA-256, compared in constant time) so the slow hash runs at most once per key per process.
 */

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import bcrypt from "bcryptjs";
import type { NameRecord, Store } from "./store/store.js";

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

const sha256 = (value: string): Buffer => createHash("sha256").update(value).digest();

export interface KeyVerifier {
  /** The name the key belongs to, or `undefined` for an unknown or wrong key. */
  verify(apiKey: string): Promise<NameRecord | undefined>;
}

/** How long a verified key's name record is reused before it is read again. */
export const KEY_RECORD_TTL_MS = 5_000;

interface VerifiedKey {
  readonly digest: Buffer;
  readonly record: NameRecord;
  readonly readAt: number;
}

export function createKeyVerifier(store: Store, now: () => number = Date.now): KeyVerifier {
  /** prefix → the SHA-256 of the full key that passed bcrypt once, with its name record. */
  const verified = new Map<string, VerifiedKey>();
  /** Verifications under way, by key digest: a burst of requests with one new key runs bcrypt once. */
  const inFlight = new Map<string, Promise<NameRecord | undefined>>();
  const slowVerify = async (prefix: string, apiKey: string, digest: Buffer, record: NameRecord): Promise<NameRecord | undefined> => {
    if (!(await bcrypt.compare(apiKey, record.keyHash))) return undefined;
    verified.set(prefix, { digest, record, readAt: now() });
    return record;
  };
  return {
    async verify(apiKey) {
      const prefix = keyPrefixOf(apiKey);
      if (prefix === undefined) return undefined;
      const digest = sha256(apiKey);
      const known = verified.get(prefix);
      if (known !== undefined && now() - known.readAt < KEY_RECORD_TTL_MS) {
        return timingSafeEqual(known.digest, digest) ? known.record : undefined;
      }
      const record = store.findNameByKeyPrefix(prefix);
      if (record === undefined) return undefined;
      if (known !== undefined && timingSafeEqual(known.digest, digest)) {
        verified.set(prefix, { digest, record, readAt: now() });
        return record;
      }
      const id = digest.toString("hex");
      let pending = inFlight.get(id);
      if (pending === undefined) {
        pending = slowVerify(prefix, apiKey, digest, record).finally(() => inFlight.delete(id));
        inFlight.set(id, pending);
      }
      return pending;
    },
  };
}
