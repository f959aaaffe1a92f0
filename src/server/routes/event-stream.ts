/**
 * The server's Server-Sent Events answers (`/v1/stream`, `/api/dashboard/events`): the response head, the event
 * format, and the `: keepalive` comments timed by the injected clock (so tests move them), until stopped.
 */

import type { ServerResponse } from "node:http";
import { timerOn, type Clock } from "../../infra/index.js";


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
  // One plain timer on the clock at a time, set again after each comment: an idle stream holds nothing else.
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    // A write that throws ends the keepalives (the stream is gone); it must not become an uncaught exception.
    try {
      write();
    } catch {
      return;
    }
    cancel = timerOn(clock, everyMs, tick);
  };
  let cancel = timerOn(clock, everyMs, tick);
  return {
    stop: () => {
      stopped = true;
      cancel();
    },
  };
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
