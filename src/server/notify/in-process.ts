/** The notifier of a single server process (the embedded backend): waiters and senders share one registry. */

import type { Clock } from "../../infra/index.js";
import type { Notifier } from "./port.js";
import { createWaiterRegistry } from "./waiters.js";

export function createInProcessNotifier(clock: Clock): Notifier {
  const registry = createWaiterRegistry(clock);
  return {
    generation: registry.generation,
    wait: registry.wait,
    rememberEmpty: registry.rememberEmpty,
    knownEmpty: registry.knownEmpty,
    notify: (nameId) => registry.wake([nameId]),
    waiting: registry.waiting,
    healthy: () => true,
    close: async () => {},
  };
}
