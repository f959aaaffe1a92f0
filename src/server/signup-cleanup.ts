/**
 * Deletes what sign-up and sign-in leave behind once it has ended: expired login links and sessions, and
 * registrations {@link REGISTRATION_KEPT_MS} after their link expired. Runs every `intervalMs` on the server's clock
 * (periodic-job.ts): its turns keep their times however long a clean-up takes, and stopping leaves nothing waiting.
 */

import { describeError, type Clock, type Logger } from "../infra/index.js";
import { startPeriodicJob } from "./periodic-job.js";
import { REGISTRATION_KEPT_MS } from "./registration.js";
import type { RegistrationStore, SessionStore } from "./store/index.js";

/** Runs one clean-up; answers what was deleted. */
export async function purgeEnded(stores: { registrations: RegistrationStore; sessions: SessionStore }, now: number) {
  const { loginTokens, sessions } = await stores.sessions.purgeSessions(now);
  const registrations = await stores.registrations.purgeRegistrations(now - REGISTRATION_KEPT_MS);
  return { loginTokens, sessions, registrations };
}

export function startSignupCleanup(deps: {
  registrations: RegistrationStore;
  sessions: SessionStore;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
}): { stop(): Promise<void> } {
  return startPeriodicJob({
    clock: deps.clock,
    intervalMs: deps.intervalMs,
    run: async () => {
      try {
        const removed = await purgeEnded(deps, deps.clock.now());
        if (removed.loginTokens + removed.sessions + removed.registrations > 0) deps.logger.info(removed, "deleted ended sign-ins, sessions and registrations");
      } catch (err) {
        deps.logger.error({ err: describeError(err) }, "clean-up of ended sign-ins, sessions and registrations failed");
      }
    },
  });
}
