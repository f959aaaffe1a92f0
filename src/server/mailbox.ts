/**
 * The delivery core of the server: store a message and wake its recipient; hand out unacked messages under a
 * visibility lease, oldest first per recipient; wait without touching the database until something arrives.
 *
 * A poll of a name that a query found without any unacked message (no send since) parks without querying: only a
 * send makes such a name non-empty again (an approval is delivered as a send; lease ends, releases and resumes
 * concern unacked messages, which such a name has none of), and every send notifies the name in every process.
 */

import { isoTime, type CancelSignal, type Clock } from "../infra/index.js";
import type { Message } from "../protocol/index.js";
import { toFullName } from "../protocol/index.js";
import type { Notifier } from "./notifier.js";
import type { ClientConnection, MessageRecord, MessageStore, NewMessage, PendingState } from "./store/index.js";

export interface Mailbox {
  /** Commits the message durably, then wakes the recipient's waiters. */
  deliver(message: NewMessage): Promise<void>;
  /** Deliverable messages now, leased on return to `connection` (the socket the answer goes out on). */
  pull(recipientIds: readonly number[], limit: number, connection?: ClientConnection): Promise<MessageRecord[]>;
  /** Like `pull`, but waits up to `timeoutMs` for a first message. */
  pullWaiting(
    recipientIds: readonly number[],
    limit: number,
    timeoutMs: number,
    signal?: CancelSignal,
    connection?: ClientConnection,
  ): Promise<MessageRecord[]>;
  /** Acks the ids that belong to the recipients; returns the ids now acked. */
  ack(recipientIds: readonly number[], ids: readonly string[]): Promise<string[]>;
  /**
   * A stream or poll of these names opens: the messages leased to connections that have closed are deliverable again
   * at once, and with `afterSeq` (a stream's Last-Event-ID) every unacked message after it too. They go out first,
   * oldest first, before anything sent later.
   */
  opened(recipientIds: readonly number[], afterSeq?: number): Promise<void>;
  /**
   * Waits until one of the names may have something deliverable (a send or an expiring lease). A send that arrived
   * since the latest `pull` of the same names counts: it returns at once. Answers false when the whole time passed
   * with neither (or on abort). Given the connection that pulled (a stream's), the wait follows that pull, and what
   * its claim left behind spares the wait a query even while other connections pull the same names.
   */
  waitForWork(recipientIds: readonly number[], timeoutMs: number, signal?: CancelSignal, connection?: ClientConnection): Promise<boolean>;
}

export interface MailboxDeps {
  readonly messages: MessageStore;
  readonly notifier: Notifier;
  readonly clock: Clock;
  /** How long a handed-out, unacked message stays hidden. */
  readonly visibilityTimeoutMs: number;
}

/**
 * How many recipient sets remember the notifier mark of their latest query (for `waitForWork`). Beyond it the oldest
 * is forgotten, and its next wait looks back through the whole recent history: at worst one extra query.
 */
const REMEMBERED_QUERIES = 65_536;

/**
 * How long a long poll whose claim took nothing waits before it claims again, the first time, when a message that no
 * lease hides was there all the same; each later try waits twice as long, up to `PASSED_OVER_RETRY_MAX_MS`. On
 * PostgreSQL a claim passes over a row another statement holds at that moment; most such statements leave it acked or
 * leased, but a webhook marking its message delivered, or a client marking it read, leaves it claimable, and without
 * another claim the message would wait for the next send or for the end of the poll.
 */
const PASSED_OVER_RETRY_MS = 5;
const PASSED_OVER_RETRY_MAX_MS = 1_000;
/** How often, at most, a poll that does not wait (`pull`) claims a message its claim passed over. */
const PASSED_OVER_PULL_TRIES = 3;

/**
 * Whether the recipients hold a message that a claim may take now: one unacked and no live lease at all. (With a
 * live lease among them a wait ends at that lease's end anyway.)
 */
const claimable = (state: PendingState): boolean => state.unacked && state.nextLeaseEnd === undefined;

/** A query of a recipient set: the notifier mark taken just before it, and what it left behind if told. */
interface Query {
  readonly key: string;
  readonly mark: number;
  left?: PendingState;
}

export function createMailbox(deps: MailboxDeps): Mailbox {
  const { messages, notifier, clock, visibilityTimeoutMs } = deps;
  // The notifier mark taken just before the latest query of each recipient set: a wait after that query also sees
  // the sends that arrived while it ran ("found nothing, then wait" cannot miss one, also across processes). What a
  // claim left behind, when the store tells it with the answer, spares the wait after it a query of its own.
  const queriedAt = new Map<string, Query>();
  // And each connection's own latest query: streams of one name that pull at once (5 000 parked after a restart)
  // each wait on what their own claim left, where the name's latest query is most often another's, still running,
  // which would make the wait ask the store itself. It goes with the connection.
  const queriedBy = new WeakMap<ClientConnection, Query>();

  const claim = (
    recipientIds: readonly number[],
    limit: number,
    connection?: ClientConnection,
    leftBehind?: (state: PendingState) => void,
  ): Promise<MessageRecord[]> => {
    const now = clock.now();
    return messages.claim(recipientIds, {
      limit,
      now,
      leaseUntil: now + visibilityTimeoutMs,
      ...(connection === undefined ? {} : { connection }),
      ...(leftBehind === undefined ? {} : { leftBehind }),
    });
  };

  const pull = async (recipientIds: readonly number[], limit: number, connection?: ClientConnection): Promise<MessageRecord[]> => {
    const key = recipientKey(recipientIds);
    for (let tries = 1; ; tries++) {
      const query: Query = { key, mark: notifier.generation() };
      queriedAt.delete(key);
      queriedAt.set(key, query);
      if (connection !== undefined) queriedBy.set(connection, query);
      if (queriedAt.size > REMEMBERED_QUERIES) {
        const oldest = queriedAt.keys().next();
        if (oldest.done !== true) queriedAt.delete(oldest.value);
      }
      const rows = await claim(recipientIds, limit, connection, (state) => {
        query.left = state;
      });
      // The store tells what the claim left behind only when it passed over nothing.
      if (rows.length > 0 || query.left !== undefined || tries >= PASSED_OVER_PULL_TRIES) return rows;
      // A poll that does not wait claims again at once: the statement that held the row takes a few milliseconds, the
      // pendingState query in between about as long.
      const left = await messages.pendingState(recipientIds, clock.now());
      query.left = left;
      if (!claimable(left)) return rows;
    }
  };

  /**
   * After a claim that found nothing: waits for a send to one of the names (since the mark) or for the earliest live
   * lease to end, at most `timeoutMs`. Names without any unacked message are remembered empty (unless a send arrived
   * since the mark), so their next polls park without a query. Answers whether a claim may now find something: false
   * when the whole time passed with neither (or on abort). `left`: what the claim left behind, when the store told it.
   * When the claim passed over a message that is claimable, the wait is short instead (`passedOver` counts them).
   */
  const waitSince = async (
    recipientIds: readonly number[],
    timeoutMs: number,
    since: number,
    signal?: CancelSignal,
    left?: PendingState,
    passedOver = { waits: 0 },
  ): Promise<boolean> => {
    const now = clock.now();
    const state = left ?? (await messages.pendingState(recipientIds, now));
    const { unacked, nextLeaseEnd } = state;
    if (!unacked) notifier.rememberEmpty(recipientIds, since);
    // Asked afterwards (the claim did not vouch for what it left), a message no lease hides: the claim passed over it.
    if (left === undefined && claimable(state)) {
      const retryMs = Math.min(timeoutMs, PASSED_OVER_RETRY_MS * 2 ** passedOver.waits++, PASSED_OVER_RETRY_MAX_MS);
      await notifier.wait(recipientIds, retryMs, signal, since);
      return !isAborted(signal);
    }
    if (nextLeaseEnd !== undefined && nextLeaseEnd - now + 1 < timeoutMs) {
      await notifier.wait(recipientIds, nextLeaseEnd - now + 1, signal, since);
      return !isAborted(signal);
    }
    return notifier.wait(recipientIds, timeoutMs, signal, since);
  };

  return {
    async deliver(message) {
      await messages.insert([message]);
      notifier.notify(message.recipientId);
    },
    pull,
    async pullWaiting(recipientIds, limit, timeoutMs, signal, connection) {
      const deadline = clock.now() + timeoutMs;
      // How many times this poll waited to claim again a message its claim had passed over (each wait twice as long).
      const passedOver = { waits: 0 };
      for (;;) {
        const since = notifier.generation();
        // Known empty: nothing to claim until a notification, which the wait then sees (no query at all).
        if (notifier.knownEmpty(recipientIds)) {
          const remaining = deadline - clock.now();
          if (remaining <= 0 || isAborted(signal)) return [];
          if (!(await notifier.wait(recipientIds, remaining, signal, since)) || isAborted(signal)) return [];
          continue;
        }
        let left: PendingState | undefined;
        const rows = await claim(recipientIds, limit, connection, (state) => {
          left = state;
        });
        const remaining = deadline - clock.now();
        if (rows.length > 0 || remaining <= 0 || isAborted(signal)) return rows;
        // Nothing sent and no lease ended for the whole wait: nothing to claim, so no query (a parked long poll's
        // timeout costs the database nothing). A client that went away gets nothing more either.
        if (!(await waitSince(recipientIds, remaining, since, signal, left, passedOver)) || isAborted(signal)) return [];
      }
    },
    async ack(recipientIds, ids) {
      const acked = await messages.ack(recipientIds, ids, clock.now());
      return acked.map((row) => row.id);
    },
    opened: (recipientIds, afterSeq) => messages.releaseLeases(recipientIds, afterSeq),
    // Without a remembered query (none yet, or forgotten) the wait looks back as far as the notifier remembers.
    // (Not an async function: a stream parks here, and a suspended frame of its own held about 400 B of heap.)
    waitForWork: (recipientIds, timeoutMs, signal, connection) => {
      const key = recipientKey(recipientIds);
      const own = connection === undefined ? undefined : queriedBy.get(connection);
      const query = own?.key === key ? own : queriedAt.get(key);
      return waitSince(recipientIds, timeoutMs, query?.mark ?? 0, signal, query?.left);
    },
  };
}

/** Long polls of at least this wait end at a random moment in the last quarter of it (`spreadLongWait`). */
export const SPREAD_FROM_MS = 10_000;
/** The share of a long wait within which it ends at random. */
const SPREAD_SHARE = 0.25;

/**
 * A long poll's wait, ending up to a quarter early at random: clients that all poll again at one moment (after a
 * restart, a proxy's reconnect) then drift apart instead of timing out together, each wave a burst of requests — 5 000
 * long polls of 30 s parked together come back over 7.5 s, not 3 (a tenth held a 2-core process busy for seconds on a
 * loaded machine), and each wave after spreads further. A quiet client polls 1/0.875 times as often as without it.
 * `random` answers in [0, 1).
 */
export function spreadLongWait(waitMs: number, random: () => number = Math.random): number {
  return waitMs < SPREAD_FROM_MS ? waitMs : Math.round(waitMs * (1 - random() * SPREAD_SHARE));
}

const recipientKey = (ids: readonly number[]): string => (ids.length === 1 ? String(ids[0]) : [...ids].sort((a, b) => a - b).join(","));

const isAborted = (signal: CancelSignal | undefined): boolean => signal?.aborted === true;

/** The message object as clients read it. `to_name` is on every message, so account-level consumers can route. */
export function toWireMessage(record: MessageRecord, options: { includeRead?: boolean } = {}): Message {
  return {
    id: record.id,
    from: toFullName(record.sender),
    to_name: record.recipient,
    subject: record.subject,
    body: record.body,
    createdAt: isoTime(record.createdAt),
    threadId: record.threadId,
    replyToMessageId: record.replyTo,
    autoReplyEligible: record.autoReplyEligible,
    attachments: record.attachments.map((a) => ({ fileId: a.fileId, filename: a.filename, mime_type: a.mimeType })),
    ...(options.includeRead === true ? { read: record.readAt !== null || record.ackedAt !== null } : {}),
  };
}
