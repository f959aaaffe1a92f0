/**
 * One outgoing HTTP request of the server, bounded every way a remote end could hold it: through a guarded dispatcher
 * (guarded-dispatcher.ts: no private targets), within a timeout measured on the injected clock (connection, headers
 * and body together), with the answer's body read up to a size cap, and without following redirects: a 3xx is
 * answered as it came, `location` included, for the caller to judge.
 */

import type { IncomingHttpHeaders } from "node:http";
import { request, type Dispatcher } from "undici";
import { ClawTellError, type Clock } from "../../infra/index.js";

export interface OutboundRequest {
  readonly url: string;
  readonly method: "GET" | "POST";
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array;
  /** The whole exchange, connection to last byte, on the clock. */
  readonly timeoutMs: number;
  /** Longest answer body read; a longer one fails the request with CT_PAYLOAD_TOO_LARGE. */
  readonly maxResponseBytes: number;
  /** Ends the request early (the server is closing). */
  readonly signal?: AbortSignal;
}

export interface OutboundAnswer {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface OutboundDeps {
  /** A guarded dispatcher (createGuardedDispatcher). */
  readonly dispatcher: Dispatcher;
  readonly clock: Clock;
}

/** The origin of a URL, for errors and logs: a path or query may carry the receiver's own token. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid url)";
  }
}

/** The first ClawTellError in an error's cause chain (undici wraps what a connector reports). */
function ownError(err: unknown): ClawTellError | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof ClawTellError) return e;
  }
  return undefined;
}

/** What a failed outgoing request answers: our own error in the cause chain, else CT_SINK_FAILED (the network). */
export function outboundFailure(origin: string, err: unknown): ClawTellError {
  const own = ownError(err);
  if (own !== undefined) return own;
  const text = err instanceof Error ? ((err.cause instanceof Error ? err.cause.message : undefined) ?? err.message) : String(err);
  return new ClawTellError("CT_SINK_FAILED", `${origin}: ${text}`, { cause: err });
}

/**
 * Sends the request; answers its status, headers and body. Fails with CT_FORBIDDEN (a refused target, not worth
 * retrying), CT_TIMEOUT, CT_PAYLOAD_TOO_LARGE, CT_ABORTED (the caller's signal) or CT_SINK_FAILED (the network: a
 * name that does not resolve, a refused or reset connection).
 */
export async function sendOutbound(deps: OutboundDeps, req: OutboundRequest): Promise<OutboundAnswer> {
  const origin = originOf(req.url);
  const protocol = URL.canParse(req.url) ? new URL(req.url).protocol : "";
  if (protocol !== "http:" && protocol !== "https:") {
    throw new ClawTellError("CT_BAD_REQUEST", `${origin}: only http and https URLs are called`, { field: "url" });
  }
  const controller = new AbortController();
  const timedOut = new AbortController();
  const stopTimer = new AbortController();
  // The timeout runs on the clock, so that a test's manual clock decides when a slow receiver has taken too long.
  const timer = deps.clock.sleep(req.timeoutMs, stopTimer.signal).then(
    () => {
      timedOut.abort();
      controller.abort(new ClawTellError("CT_TIMEOUT", `${origin}: no answer within ${req.timeoutMs} ms`));
    },
    () => undefined,
  );
  const onAbort = (): void => controller.abort(new ClawTellError("CT_ABORTED", `${origin}: request cancelled`));
  req.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    if (req.signal?.aborted === true) onAbort();
    const response = await request(req.url, {
      method: req.method,
      dispatcher: deps.dispatcher,
      signal: controller.signal,
      ...(req.headers === undefined ? {} : { headers: req.headers }),
      ...(req.body === undefined ? {} : { body: req.body }),
    });
    const declared = Number(response.headers["content-length"]);
    if (Number.isFinite(declared) && declared > req.maxResponseBytes) {
      response.body.destroy();
      throw tooLarge(origin, req.maxResponseBytes);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      const bytes = chunk as Buffer;
      size += bytes.length;
      if (size > req.maxResponseBytes) {
        response.body.destroy();
        throw tooLarge(origin, req.maxResponseBytes);
      }
      chunks.push(bytes);
    }
    return { statusCode: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) };
  } catch (err) {
    if (timedOut.signal.aborted) throw new ClawTellError("CT_TIMEOUT", `${origin}: no answer within ${req.timeoutMs} ms`, { cause: err });
    if (req.signal?.aborted === true) throw new ClawTellError("CT_ABORTED", `${origin}: request cancelled`, { cause: err });
    throw outboundFailure(origin, err);
  } finally {
    req.signal?.removeEventListener("abort", onAbort);
    stopTimer.abort();
    await timer;
  }
}

const tooLarge = (origin: string, max: number): ClawTellError =>
  new ClawTellError("CT_PAYLOAD_TOO_LARGE", `${origin}: answer larger than ${max} bytes`, { retryable: true });
