/**
 * The origin a request reached this server at (`https://clawtell.example.com`), for answers that name the server's
 * own addresses. Scheme and host are the request's, or, from a trusted proxy (`--trust-proxy`),
 * `X-Forwarded-Proto` and `X-Forwarded-Host`. A host that is not a plain host name or address (with an optional port)
 * is refused, so nothing a client sends as `Host` is copied into an answer.
 */

import type { FastifyRequest } from "fastify";
import { ClawTellError } from "../infra/index.js";

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOST = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*\\.?|\\[[0-9a-f:.]+\\])(?::\\d{1,5})?$`, "i");

export function requestOrigin(request: FastifyRequest): string {
  const { host, protocol } = request;
  if (host.length > 300 || !HOST.test(host)) {
    throw new ClawTellError("CT_BAD_REQUEST", "host: the Host header is not a host name this server can answer with", { field: "host" });
  }
  return `${protocol}://${host.toLowerCase()}`;
}
