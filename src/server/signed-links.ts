/**
 * Signed download links for attachments: `/files/<fileId>?expires=<epoch ms>&sig=<HMAC-SHA256>`. Whoever holds the
 * link may download the file until it expires, without a key. With the embedded backend the secret lives in memory
 * only: links do not outlive the process, and a client asks `GET /api/files/{fileId}` again for a fresh one. With
 * PostgreSQL every process of the deployment signs with one secret kept in the database, so any of them serves a link.
 */

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export interface LinkSigner {
  /** The path and query of a link to the file that works until `expiresAt`. */
  pathFor(fileId: string, expiresAt: number): string;
  /** Whether the link's signature is ours and it has not expired at `now`. */
  verify(fileId: string, expires: string, signature: string, now: number): boolean;
}

export function createLinkSigner(secret: Uint8Array = randomBytes(32)): LinkSigner {
  const mac = (fileId: string, expires: string): Buffer => createHmac("sha256", secret).update(`${fileId}\n${expires}`).digest();
  return {
    pathFor(fileId, expiresAt) {
      const expires = String(expiresAt);
      return `/files/${fileId}?expires=${expires}&sig=${mac(fileId, expires).toString("base64url")}`;
    },
    verify(fileId, expires, signature, now) {
      if (!/^\d{1,16}$/.test(expires) || Number(expires) <= now) return false;
      const given = Buffer.from(signature, "base64url");
      const wanted = mac(fileId, expires);
      return given.length === wanted.length && timingSafeEqual(given, wanted);
    },
  };
}
