/**
 * The `: keepalive` comments of an event stream, timed by the injected clock (so tests move them), until stopped.
 */

import type { Clock } from "../../infra/index.js";

export interface Keepalive {
  /** Ends the comments: no write happens after this returns. */
  stop(): void;
}

export function startKeepalive(clock: Clock, everyMs: number, write: () => void): Keepalive {
  const stopped = new AbortController();
  const run = async (): Promise<void> => {
    for (;;) {
      await clock.sleep(everyMs, stopped.signal);
      if (stopped.signal.aborted) return;
      write();
    }
  };
  // A sleep cut short by stop() rejects with the abort reason: that is the end of the loop, not a failure.
  run().catch(() => undefined);
  return { stop: () => stopped.abort() };
}
