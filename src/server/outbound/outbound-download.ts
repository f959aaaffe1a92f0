/**
 * One outgoing download of the server (an attachment `url`), read as a stream and never held whole: through the
 * guarded dispatcher (no private targets, judged on the address each hop connects to, so a redirect to a private
 * address is refused as well), within a timeout on the injected clock that covers every hop and the last byte, with
 * a bounded number of redirects, and with a size cap enforced while the body streams (the request is cut off as soon
 * as it is passed, and a larger Content-Length is refused before the body is read).
 */

import type { IncomingHttpHeaders } from "node:http";
import { request, type Dispatcher } from "undici";
import { ClawTellError } from "../../infra/index.js";
import { originOf, outboundFailure, type OutboundDeps } from "./outbound-request.js";

export interface DownloadRequest {
  readonly url: string;
  /** Every hop and the whole body, on the clock. */
  readonly timeoutMs: number;
  /** Largest body taken; past it the body fails with CT_PAYLOAD_TOO_LARGE. */
  readonly maxBytes: number;
  /** Redirects followed (each one through the same guard). */
  readonly maxRedirects: number;
  readonly headers?: Record<string, string>;
  /** Ends the download early (the client went away, the server is closing). */
  readonly signal?: AbortSignal;
}

export interface Download {
  /** The URL the body came from, after redirects. */
  readonly url: string;
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as it arrives, capped at `maxBytes`; read it inside `use`. */
  readonly body: AsyncIterable<Uint8Array>;
}

const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * Lets go of an answer body that was not read to its end: undici reports a body dropped unread as an 'error' event,
 * which `dump` takes (it reads at most a byte more, then ends the body; the abort in `finally` ends a stalled one).
 */
function discard(body: Dispatcher.ResponseData["body"]): void {
  body.dump({ limit: 1 }).catch(() => undefined);
}

const tooLarge = (origin: string, max: number): ClawTellError =>
  new ClawTellError("CT_PAYLOAD_TOO_LARGE", `${origin}: larger than ${max} bytes`, { retryable: false });

/**
 * Fetches `req.url` with GET and hands the answer to `use`, which reads the body; the request is ended (and its
 * connection released) when `use` settles. Fails with CT_BAD_REQUEST (not http(s), too many redirects), CT_FORBIDDEN
 * (a refused target), CT_TIMEOUT, CT_PAYLOAD_TOO_LARGE, CT_ABORTED or CT_SINK_FAILED (the network), as sendOutbound.
 */
export async function withDownload<T>(deps: OutboundDeps, req: DownloadRequest, use: (download: Download) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timedOut = new AbortController();
  const stopTimer = new AbortController();
  const firstOrigin = originOf(req.url);
  const timer = deps.clock.sleep(req.timeoutMs, stopTimer.signal).then(
    () => {
      timedOut.abort();
      controller.abort(new ClawTellError("CT_TIMEOUT", `${firstOrigin}: no answer within ${req.timeoutMs} ms`));
    },
    () => undefined,
  );
  const onAbort = (): void => controller.abort(new ClawTellError("CT_ABORTED", `${firstOrigin}: request cancelled`));
  req.signal?.addEventListener("abort", onAbort, { once: true });
  let open: Dispatcher.ResponseData["body"] | undefined;
  let inUse = false;
  const failure = (err: unknown): ClawTellError => {
    if (timedOut.signal.aborted) return new ClawTellError("CT_TIMEOUT", `${firstOrigin}: no answer within ${req.timeoutMs} ms`, { cause: err });
    if (req.signal?.aborted === true) return new ClawTellError("CT_ABORTED", `${firstOrigin}: request cancelled`, { cause: err });
    return outboundFailure(firstOrigin, err);
  };
  try {
    if (req.signal?.aborted === true) onAbort();
    let url = req.url;
    for (let hop = 0; ; hop++) {
      const origin = originOf(url);
      const protocol = URL.canParse(url) ? new URL(url).protocol : "";
      if (protocol !== "http:" && protocol !== "https:") {
        throw new ClawTellError("CT_BAD_REQUEST", `${origin}: only http and https URLs are fetched`, { field: "url" });
      }
      const response = await request(url, {
        method: "GET",
        dispatcher: deps.dispatcher,
        signal: controller.signal,
        ...(req.headers === undefined ? {} : { headers: req.headers }),
      });
      open = response.body;
      const location = response.headers["location"];
      if (REDIRECTS.has(response.statusCode) && typeof location === "string") {
        discard(response.body);
        if (hop >= req.maxRedirects) throw new ClawTellError("CT_BAD_REQUEST", `${origin}: more than ${req.maxRedirects} redirects`, { field: "url" });
        url = new URL(location, url).toString();
        continue;
      }
      const declared = Number(response.headers["content-length"]);
      if (Number.isFinite(declared) && declared > req.maxBytes) throw tooLarge(origin, req.maxBytes);
      const body = response.body;
      const capped = async function* (): AsyncGenerator<Uint8Array> {
        let size = 0;
        try {
          for await (const chunk of body) {
            const bytes = chunk as Buffer;
            size += bytes.length;
            if (size > req.maxBytes) throw tooLarge(origin, req.maxBytes);
            yield bytes;
          }
        } catch (err) {
          throw failure(err);
        }
      };
      inUse = true;
      return await use({ url, statusCode: response.statusCode, headers: response.headers, body: capped() });
    }
  } catch (err) {
    // What `use` throws of its own (a full disk, a refused file) is its business; the body's failures came as ours.
    throw inUse && !timedOut.signal.aborted && req.signal?.aborted !== true ? err : failure(err);
  } finally {
    if (open !== undefined) discard(open);
    controller.abort(new ClawTellError("CT_ABORTED", `${firstOrigin}: download over`));
    req.signal?.removeEventListener("abort", onAbort);
    stopTimer.abort();
    await timer;
  }
}
