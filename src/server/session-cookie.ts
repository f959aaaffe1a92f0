/**
 * The dashboard session cookie: `clawtell_session`, `HttpOnly` (no script reads it), `SameSite=Lax` (not sent on
 * cross-site subrequests or posts), `Path=/`, and `Secure` when the request came over TLS, directly or through a
 * trusted proxy's `X-Forwarded-Proto: https` (`--trust-proxy`).
 */

import type { FastifyRequest } from "fastify";

export const SESSION_COOKIE = "clawtell_session";

/** The value of the session cookie the request carries, if any. */
export function sessionCookieOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** `Set-Cookie` for a session that ends at `expiresAt` (epoch ms), counted from `now`. */
export function sessionCookie(request: FastifyRequest, token: string, expiresAt: number, now: number): string {
  return serialise(request, token, Math.max(0, Math.floor((expiresAt - now) / 1000)));
}

/** `Set-Cookie` that removes the session cookie. */
export function clearedSessionCookie(request: FastifyRequest): string {
  return serialise(request, "", 0);
}

function serialise(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const parts = [`${SESSION_COOKIE}=${value}`, "Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${maxAgeSeconds}`];
  if (request.protocol === "https") parts.push("Secure");
  return parts.join("; ");
}
