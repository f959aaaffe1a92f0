/**
 * Declares a connection dead when nothing arrived for `inactivityMs`, on the injected clock. The time a consumer
 * spends holding a batch (`hold()` … `release()`) does not count: a slow consumer is not a silent server.
 */

import type { Clock } from "../infra/index.js";

export interface InactivityWatchdog {
  /** Something arrived: the silence starts again from now. */
  touch(): void;
  /** The consumer has the data; stop counting until `release()`. */
  hold(): void;
  release(): void;
  /** Ends the watchdog without firing. */
  stop(): void;
}

/** Starts watching; calls `onSilent` once if the silence reaches `inactivityMs`. */
export function startInactivityWatchdog(clock: Clock, inactivityMs: number, onSilent: () => void): InactivityWatchdog {
  const controller = new AbortController();
  let lastActivity = clock.now();
  let held = false;

  const watch = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      const idleMs = held ? 0 : clock.now() - lastActivity;
      if (idleMs >= inactivityMs) {
        onSilent();
        return;
      }
      await clock.sleep(inactivityMs - idleMs, controller.signal);
    }
  };
  // The only rejection is our own stop(); nothing else can throw in the loop.
  watch().catch(() => undefined);

  return {
    touch: () => {
      lastActivity = clock.now();
    },
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
      lastActivity = clock.now();
    },
    stop: () => controller.abort(),
  };
}
