/**
 * A job that runs every `intervalMs` on the injected clock, one run at a time, until stopped. Each wait is a clock
 * sleep, so tests move it with a manual clock, and stopping aborts the wait: nothing is left scheduled afterwards.
 */

import type { Clock } from "../infra/index.js";

export function startPeriodicJob(deps: { clock: Clock; intervalMs: number; run: () => Promise<void> }): { stop(): Promise<void> } {
  const stopping = new AbortController();
  const loop = (async () => {
    let due = deps.clock.now() + deps.intervalMs;
    for (;;) {
      const wait = due - deps.clock.now();
      if (wait > 0) {
        try {
          await deps.clock.sleep(wait, stopping.signal);
        } catch {
          return;
        }
      }
      if (stopping.signal.aborted) return;
      const startedAt = deps.clock.now();
      await deps.run();
      // The next turn is an interval after this one was due, or after it started when the clock had already gone past
      // that (a busy machine, a clock moved by hand): missed turns are not run as a backlog. When the clock passes the
      // next turn while this one runs, the next one runs at once.
      due = Math.max(due, startedAt) + deps.intervalMs;
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
