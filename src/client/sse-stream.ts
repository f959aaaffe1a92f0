/**
 * Reading `GET {sseUrl}/v1/stream` with a kept SSE parser (eventsource-parser): typed events, a connection declared
 * dead after `inactivityMs` of silence (keepalives count as life), `Last-Event-ID` resume, and non-2xx answers as
 * ClawTellErrors by status. Events of one network read are also available together, so a consumer can store them in
 * one write; while the consumer holds a batch nothing more is read.
 */

import { createParser, type EventSourceMessage } from "eventsource-parser";
import { request, type Dispatcher } from "undici";
import { ClawTellError, type Clock, type Logger } from "../infra/index.js";
import { ConnectedEventSchema, MessageSchema, type ConnectedEvent, type Message } from "../protocol/index.js";
import { streamUrl } from "./endpoints.js";
import { errorForStatus, errorMessageOf, readBodyText, transportError } from "./http.js";
import { startInactivityWatchdog } from "./inactivity-watchdog.js";
import { parseRetryAfter } from "../infra/index.js";

/** Default silence after which a stream is treated as dead (the reference plugin's value). */
export const STREAM_INACTIVITY_DEFAULT_MS = 150_000;

/** One typed event of the stream (`error` events and comments are logged, not yielded). */
export type StreamEvent =
  | { readonly type: "connected"; readonly info: ConnectedEvent }
  | { readonly type: "message"; readonly message: Message }
  /** The server ended the connection on purpose (its `timeout` or `limit` was reached); reconnect at once. */
  | { readonly type: "timeout" };

/** What a caller chooses about one stream connection. */
export interface StreamRequest {
  /** Every name of the account (`?account=true`) rather than the key's own name. */
  readonly account: boolean;
  /** Seconds the server keeps the stream open. @defaultValue 120 */
  readonly timeoutS?: number;
  /** Most messages on this connection. @defaultValue 50 */
  readonly limit?: number;
  /** Id of the last message already handed on; the server resends what follows it. */
  readonly lastEventId?: string;
  /** A stream silent for this long is dropped with CT_TIMEOUT. @defaultValue 150000 */
  readonly inactivityMs?: number;
  readonly signal?: AbortSignal;
}

/** A stream request plus the connection details a client normally supplies. */
export interface StreamOptions extends StreamRequest {
  /** Streaming origin (no trailing slash). */
  readonly sseUrl: string;
  readonly apiKey: string;
  readonly dispatcher?: Dispatcher;
  readonly clock: Clock;
  readonly logger: Logger;
}

function toEvent(raw: EventSourceMessage, logger: Logger): StreamEvent | undefined {
  const name = raw.event ?? "message";
  try {
    if (name === "message") return { type: "message", message: MessageSchema.parse(JSON.parse(raw.data)) };
    if (name === "connected") return { type: "connected", info: ConnectedEventSchema.parse(JSON.parse(raw.data)) };
    if (name === "timeout") return { type: "timeout" };
  } catch (err) {
    // Left unacked on the server; it stays visible there and in our logs rather than crashing the reader.
    logger.warn({ err, event: name }, "unreadable stream event skipped");
    return undefined;
  }
  if (name === "error") logger.warn({ data: raw.data.slice(0, 200) }, "stream reported an error");
  else logger.debug({ event: name }, "stream event ignored");
  return undefined;
}

/**
 * Opens one stream connection and yields the events of each network read together, until the server ends it.
 * Throws a ClawTellError: by status for a non-2xx answer, CT_TIMEOUT after silence, CT_API_UNREACHABLE when the
 * connection breaks, CT_ABORTED when `signal` fires.
 */
export async function* openStreamBatches(options: StreamOptions): AsyncGenerator<StreamEvent[], void, undefined> {
  const inactivityMs = options.inactivityMs ?? STREAM_INACTIVITY_DEFAULT_MS;
  const silence = new AbortController();
  const watchdog = startInactivityWatchdog(options.clock, inactivityMs, () =>
    silence.abort(new ClawTellError("CT_TIMEOUT", `stream silent for ${inactivityMs} ms`)),
  );
  const signal = options.signal === undefined ? silence.signal : AbortSignal.any([options.signal, silence.signal]);
  const url = streamUrl(options.sseUrl, { account: options.account, timeoutS: options.timeoutS ?? 120, limit: options.limit ?? 50 });
  const fail = (err: unknown, what: string): ClawTellError => {
    if (options.signal?.aborted !== true && silence.signal.aborted && silence.signal.reason instanceof ClawTellError) return silence.signal.reason;
    return transportError(err, what, options.signal, undefined);
  };
  let body: Dispatcher.ResponseData["body"] | undefined;
  try {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: "GET",
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          accept: "text/event-stream",
          ...(options.lastEventId === undefined ? {} : { "last-event-id": options.lastEventId }),
        },
        signal,
        ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
      });
    } catch (err) {
      throw fail(err, "cannot open the stream");
    }
    body = response.body;
    if (response.statusCode < 200 || response.statusCode >= 300) {
      const text = await readBodyText(response.body, 64 * 1024).catch(() => "");
      throw errorForStatus(response.statusCode, errorMessageOf(response.statusCode, text), parseRetryAfter(response.headers["retry-after"], options.clock.now()));
    }
    const contentType = String(response.headers["content-type"] ?? "");
    if (!contentType.startsWith("text/event-stream")) {
      throw new ClawTellError("CT_API_REJECTED", `stream answered with ${contentType === "" ? "no content type" : contentType}, not an event stream`, {
        status: response.statusCode,
      });
    }
    let pending: StreamEvent[] = [];
    const parser = createParser({
      onEvent: (raw) => {
        const event = toEvent(raw, options.logger);
        if (event !== undefined) pending.push(event);
      },
    });
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) {
        watchdog.touch();
        parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
        if (pending.length === 0) continue;
        const batch = pending;
        pending = [];
        // While the consumer works on the batch nothing is read, and the silence does not count.
        watchdog.hold();
        yield batch;
        watchdog.release();
      }
    } catch (err) {
      throw fail(err, "stream broken");
    }
  } finally {
    watchdog.stop();
    // Ends the connection when the consumer stops early (break, throw) or after a failure; undici reports that as an
    // "aborted" error on the body, which nobody needs to hear.
    if (body !== undefined && !body.destroyed) {
      body.on("error", () => undefined);
      body.destroy();
    }
  }
}

/** Opens one stream connection and yields its events one by one (see `openStreamBatches`). */
export async function* openStream(options: StreamOptions): AsyncGenerator<StreamEvent, void, undefined> {
  for await (const batch of openStreamBatches(options)) yield* batch;
}
