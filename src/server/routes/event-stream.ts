/**
 * The server's Server-Sent Events answers (`/v1/stream`, `/api/dashboard/events`): the response head, the event
 * format, and the `: keepalive` comments timed by the injected clock (so tests move them), until stopped.
 */

import type { ServerResponse } from "node:http";
import type { Clock } from "../../infra/index.js";

/** The reason a keepalive's sleep is cut short with: one shared value, rather than an error built for every stream. */
const KEEPALIVE_STOPPED = Symbol("keepalive stopped");

export interface Keepalive {
  /** Ends the comments: no write happens after this returns. */
  stop(): void;
}

/**
 * One SSE event in the exact form the clients parse: `event: x\ndata: <one line>\n\n`. A message event also carries
 * `id: <message id>` after its data (the official parsers skip `id:` lines), so a standard EventSource client sends
 * `Last-Event-ID` when it reconnects.
 */
export function formatEvent(event: string, data: string, id?: string): string {
  return `event: ${event}\ndata: ${data}\n${id === undefined ? "" : `id: ${id}\n`}\n`;
}

export function startKeepalive(clock: Clock, everyMs: number, write: () => void): Keepalive {
  const stopped = new AbortController();
  // A chain of sleeps rather than an async loop: an idle stream then holds one pending sleep and no suspended function.
  const next = (): void => {
    clock.sleep(everyMs, stopped.signal).then(
      () => {
        if (stopped.signal.aborted) return;
        // A write that throws ends the keepalives, as it ended the loop this chain replaced; it must not become an
        // unhandled rejection.
        try {
          write();
        } catch {
          return;
        }
        next();
      },
      // A sleep cut short by stop() rejects with the abort reason: that is the end of the chain, not a failure.
      () => undefined,
    );
  };
  next();
  return { stop: () => stopped.abort(KEEPALIVE_STOPPED) };
}

/**
 * Starts an event stream on a hijacked response: the head, the `connected` event with `data`, then keepalives every
 * `keepaliveMs` until the returned handle is stopped (the caller ends the response after stopping it).
 */
export function openEventStream(raw: ServerResponse, connected: string, clock: Clock, keepaliveMs: number): Keepalive {
  raw.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  raw.write(formatEvent("connected", connected));
  return startKeepalive(clock, keepaliveMs, () => raw.write(": keepalive\n\n"));
}
