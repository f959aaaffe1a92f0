/**
 * Reading `GET {sseUrl}/v1/stream` with a kept SSE parser. Yields the events of each received chunk together (so the
 * daemon can store them in one write), aborts a connection that stays silent longer than the inactivity timeout,
 * and resumes with `Last-Event-ID`.
 */

import { createParser, type EventSourceMessage } from "eventsource-parser";
import { request, type Dispatcher } from "undici";
import { ClawTellError, type Clock, type Logger } from "../infra/index.js";
import { ConnectedEventSchema, MessageSchema, type ConnectedEvent, type Message } from "../protocol/index.js";
import { errorForStatus } from "./http.js";
import { parseRetryAfter } from "./retry-after.js";

export type StreamEvent =
  | { readonly type: "connected"; readonly info: ConnectedEvent }
  | { readonly type: "message"; readonly message: Message }
  | { readonly type: "timeout" };

export interface StreamOptions {
  readonly sseUrl: string;
  readonly apiKey: string;
  readonly account: boolean;
  /** Seconds the server keeps the stream open. @defaultValue 120 */
  readonly timeoutS?: number;
  /** @defaultValue 50 */
  readonly limit?: number;
  readonly lastEventId?: string;
  /** A stream silent for this long is treated as dead. @defaultValue 150000 */
  readonly inactivityMs?: number;
  readonly signal?: AbortSignal;
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
    logger.warn({ err, event: name }, "unreadable stream event skipped");
    return undefined;
  }
  logger.debug({ event: name }, "stream event ignored");
  return undefined;
}

/** Yields batches of events until the server ends the stream; throws a ClawTellError on failure. */
export async function* openStream(options: StreamOptions): AsyncGenerator<StreamEvent[]> {
  const controller = new AbortController();
  const inactivityMs = options.inactivityMs ?? 150_000;
  let silent = false;
  let timer = setTimeout(() => {
    silent = true;
    controller.abort();
  }, inactivityMs);
  const touch = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      silent = true;
      controller.abort();
    }, inactivityMs);
  };
  const signal = options.signal === undefined ? controller.signal : AbortSignal.any([options.signal, controller.signal]);
  const query = `timeout=${options.timeoutS ?? 120}&limit=${options.limit ?? 50}${options.account ? "&account=true" : ""}`;
  try {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(`${options.sseUrl}/v1/stream?${query}`, {
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
      throw new ClawTellError(options.signal?.aborted === true ? "CT_ABORTED" : "CT_API_UNREACHABLE", `cannot open the stream: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (response.statusCode !== 200) {
      const text = await response.body.text().catch(() => "");
      let message = `stream refused: HTTP ${response.statusCode}`;
      try {
        message = String((JSON.parse(text) as { error?: unknown }).error ?? message);
      } catch {
        // not JSON: keep the status text
      }
      throw errorForStatus(response.statusCode, message, parseRetryAfter(response.headers["retry-after"], options.clock.now()));
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
        touch();
        parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
        if (pending.length > 0) {
          const batch = pending;
          pending = [];
          yield batch;
        }
      }
    } catch (err) {
      if (options.signal?.aborted === true) throw new ClawTellError("CT_ABORTED", "stream aborted", { cause: err });
      if (silent) throw new ClawTellError("CT_TIMEOUT", `stream silent for ${inactivityMs} ms`, { cause: err });
      throw new ClawTellError("CT_API_UNREACHABLE", `stream broken: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
