/** How long-running commands wait to be stopped: the first SIGINT or SIGTERM; a second one ends the process at once. */

/** The stop signals a long-running command obeys. */
export type StopSignal = "SIGINT" | "SIGTERM";

/** Resolves with the first SIGINT or SIGTERM; after that the default handlers apply again (a second Ctrl-C kills). */
export function waitForStopSignal(target: NodeJS.Process = process): Promise<StopSignal> {
  return new Promise((resolve) => {
    const onSignal = (signal: StopSignal): void => {
      target.off("SIGINT", onSignal);
      target.off("SIGTERM", onSignal);
      resolve(signal);
    };
    target.on("SIGINT", onSignal);
    target.on("SIGTERM", onSignal);
  });
}
