/**
 * The signature of every webhook ClawTell sends: the daemon's webhook sink (to a local agent) and the server's webhooks
 * (to a name's `webhook_url`) sign and verify with these two functions, so a receiver written for one accepts the
 * other.
 *
 *     X-ClawTell-Timestamp: <Unix seconds>
 *     X-ClawTell-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * To verify a delivery, a receiver takes the raw request body (the bytes as received, before any JSON parsing) and the
 * timestamp header, computes the same HMAC with its secret, compares it with the signature header in constant time,
 * and refuses timestamps far from its own clock (more than 5 minutes by default), so that a captured request cannot be
 * replayed later. `X-ClawTell-Delivery` is stable across the retries of one delivery: receivers drop duplicates by it.
 */

import { createHmac, timingSafeEqual } from "node:crypto";

/** Headers of a delivery (lower-case, as they arrive at the receiver). */
export const WEBHOOK_HEADERS = {
  delivery: "x-clawtell-delivery",
  timestamp: "x-clawtell-timestamp",
  signature: "x-clawtell-signature",
  event: "x-clawtell-event",
} as const;

/** How far a delivery's timestamp may be from the receiver's clock. */
export const WEBHOOK_TOLERANCE_MS = 5 * 60 * 1000;

/** The signature header's value for a body sent at `timestamp` (Unix seconds, as text). */
export function signWebhook(secret: string, timestamp: string, body: string | Uint8Array): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.`);
  mac.update(body);
  return `sha256=${mac.digest("hex")}`;
}

/** Whether a received delivery's signature holds and its timestamp is fresh. */
export function verifyWebhookSignature(input: {
  readonly secret: string;
  /** The `X-ClawTell-Timestamp` header. */
  readonly timestamp: string;
  /** The raw body, as received. */
  readonly body: string | Uint8Array;
  /** The `X-ClawTell-Signature` header. */
  readonly signature: string;
  /** The receiver's clock, epoch ms. */
  readonly nowMs: number;
  /** @defaultValue {@link WEBHOOK_TOLERANCE_MS} */
  readonly toleranceMs?: number;
}): boolean {
  if (!/^\d{1,12}$/.test(input.timestamp)) return false;
  if (Math.abs(input.nowMs - Number(input.timestamp) * 1000) > (input.toleranceMs ?? WEBHOOK_TOLERANCE_MS)) return false;
  const expected = Buffer.from(signWebhook(input.secret, input.timestamp, input.body));
  const given = Buffer.from(input.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
