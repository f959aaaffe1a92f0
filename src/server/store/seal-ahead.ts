/**
 * Sealing messages ahead of the embedded store's hand-over to its archive, off the event loop (embedded-messages.ts):
 * batches of applied messages go to `sealing.sealRowsAhead` (a worker thread), and the forms that come back for
 * messages the archive has not taken yet are kept for the hand-over. Nothing waits for them: a form not back in time is
 * made by the hand-over itself, one that comes back late is dropped, and a failure only logs.
 */

import type { Logger } from "../../infra/index.js";
import type { ContentPair, ContentSealing } from "./content-sealing.js";
import type { MessageRecord } from "./records.js";

/**
 * Applied messages sent together to be sealed ahead of the hand-over (when the sealing has a way off the event loop):
 * a trip to the sealing thread costs the event loop a fixed 10–20 µs besides a fraction of a microsecond a message,
 * about one seal in place; the messages still waiting for a batch when the hand-over comes are sealed by it.
 */
export const SEAL_AHEAD_MIN = 64;
/** Batches being sealed at once at most (more wait for one to come back). */
const SEAL_AHEAD_IN_FLIGHT = 2;

export interface SealAhead {
  /** A message applied: it waits for the next batch to be sealed ahead. */
  add(message: MessageRecord): void;
  /** Sends the waiting messages when there are enough of them and fewer batches are out than allowed. */
  send(): void;
  /** The sealed form made ahead for a message the archive has not taken yet, if it is back. */
  take(id: string): ContentPair | undefined;
  /** The hand-over took every message: what was made or is on its way for them is of no use now. */
  clear(): void;
}

/** `pending(id)`: the archive has not taken the message yet (a form made for it is still of use). */
export function createSealAhead(sealing: ContentSealing, min: number, pending: (id: string) => boolean, logger: Logger): SealAhead {
  const sealRowsAhead = sealing.sealRowsAhead;
  if (sealRowsAhead === undefined) return { add() {}, send() {}, take: () => undefined, clear() {} };
  const made = new Map<string, ContentPair>();
  let waiting: MessageRecord[] = [];
  let inFlight = 0;
  /** One more at each hand-over: a batch sent before the last one is of no use, and its failure says nothing. */
  let handOvers = 0;
  const send = (): void => {
    if (inFlight >= SEAL_AHEAD_IN_FLIGHT || waiting.length < min) return;
    const rows = waiting;
    waiting = [];
    inFlight++;
    const sentAt = handOvers;
    void sealRowsAhead(rows)
      .then(
        (forms) => {
          forms.forEach((form, i) => {
            const id = rows[i]?.id;
            if (id !== undefined && pending(id)) made.set(id, form);
          });
        },
        (err: unknown) => {
          // A batch the hand-over has made useless (at close the thread ends under it) fails quietly.
          if (sentAt === handOvers) logger.warn({ err }, "sealing messages ahead failed; the hand-over seals them itself");
        },
      )
      .finally(() => {
        inFlight--;
        send();
      });
  };
  return {
    add(message) {
      waiting.push(message);
    },
    send,
    take: (id) => made.get(id),
    clear() {
      handOvers++;
      made.clear();
      waiting = [];
    },
  };
}
