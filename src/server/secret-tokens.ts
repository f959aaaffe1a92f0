/**
 * The secrets of sign-up and sign-in: random tokens (256 bits, base64url), the SHA-256 under which storage keeps them,
 * and constant-time comparison. What the database holds (hashes) cannot be turned back into a working token.
 */

import { hash, randomBytes, timingSafeEqual } from "node:crypto";

/** A new random token: 32 bytes (256 bits) as base64url, 43 characters. */
export function newToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** The SHA-256 of a token as hex: what storage keeps and looks up. */
export function tokenHash(token: string): string {
  return hash("sha256", token, "hex");
}

/** Whether two secrets are equal, in time that does not depend on where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A token as it arrives (query, body, cookie): base64url of a plausible length, or undefined. */
export function wellFormedToken(raw: string | undefined): string | undefined {
  return raw !== undefined && /^[A-Za-z0-9_-]{16,128}$/.test(raw) ? raw : undefined;
}
