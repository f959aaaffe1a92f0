/**
 * `Idempotency-Key` on `POST /api/messages/send`: the same key from the same account within 24 hours gets the answer
 * of its first use (status and body, the same `messageId`) and stores nothing more; the key with another request is a
 * 409 `CT_IDEMPOTENCY_KEY_REUSED`. The send route uses three pieces:
 *
 * - `preHandler`: answers a replay from the store, or lets one request per key and account through at a time in this
 *   process (a second one waits, then is answered as a replay);
 * - `bind` (in the handler): the record that the message store writes with the message, in the same durable write, so
 *   that a crash keeps both or neither and a retry after it gets the answer the first try would have had;
 * - `settle` (in the handler, after the store): the answer the key holds; another process may have stored first (the
 *   store then skipped this message), and its answer counts.
 *
 * An answer that stored no message but must replay the same (a refused send's receipt; a send held for approval) is
 * remembered by `onSend`. Errors that stored nothing are not remembered: a retry runs again.
 */

import { createHash } from "node:crypto";
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import { ClawTellError, type Clock } from "../infra/index.js";
import { IDEMPOTENCY_KEY_HEADER, IdempotencyKeySchema } from "../protocol/index.js";
import { comparableSend } from "./streamed-sends.js";
import { callerOf } from "./contexts/caller.js";
import { IDEMPOTENCY_TTL_MS, type IdempotencyRecord, type IdempotencyStore } from "./store/index.js";

/** The answer header of a replay. */
export const REPLAYED_HEADER = "idempotent-replayed";

interface PendingKey {
  readonly accountId: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly createdAt: number;
  /** The record went to the store with a message. */
  bound: boolean;
}

/** How an `onSend` hook given as a callback passes the answer on. */
export type OnSendDone = (err: Error | null, payload?: unknown) => void;

/**
 * Runs `work` and passes on what it answers, or its error: the slow path of a hook given as a callback. Callback hooks
 * let the common request (no key, nothing refused) pass without a promise of its own.
 */
export function settleHook<T>(work: () => Promise<T>, done: (err: Error | null, value?: T) => void): void {
  work().then(
    (value) => done(null, value),
    (err: unknown) => done(err instanceof Error ? err : new ClawTellError("CT_INTERNAL", String(err))),
  );
}

export interface IdempotentSends {
  /** Lets a send without an `Idempotency-Key` through at once; answers a replay, or waits for the key's turn. */
  preHandler(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void;
  onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: OnSendDone): void;
  /** The record to store with the message the send creates (undefined without a key). */
  bind(request: FastifyRequest, messageId: string, body: object): IdempotencyRecord | undefined;
  /**
   * The answer the key holds once the message store has run: `body`, or the one another process stored first (for the
   * same request, so of the same shape).
   */
  settle<T extends object>(request: FastifyRequest, reply: FastifyReply, messageId: string, body: T): Promise<T>;
}

/** Object keys sorted, recursively: equal requests hash equal whatever order their fields came in. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
  );
}

/** What makes two sends the same request: the name whose key sent it and the parsed body. */
export function requestFingerprint(name: string, body: unknown): string {
  return createHash("sha256").update(JSON.stringify(canonical({ name, body }))).digest("hex");
}

const reused = (): ClawTellError =>
  new ClawTellError("CT_IDEMPOTENCY_KEY_REUSED", "Idempotency-Key was used for a different request in the last 24 hours", {
    field: IDEMPOTENCY_KEY_HEADER,
  });

export function createIdempotentSends(store: IdempotencyStore, clock: Clock): IdempotentSends {
  const pending = new WeakMap<FastifyRequest, PendingKey>();
  /** `account\nkey` → settles when the request holding it has been answered. */
  const turns = new Map<string, Promise<void>>();

  /** Waits for the key's turn in this process; answers the release. */
  const takeTurn = async (id: string): Promise<() => void> => {
    for (let held = turns.get(id); held !== undefined; held = turns.get(id)) await held;
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    turns.set(id, turn);
    return () => {
      if (turns.get(id) === turn) turns.delete(id);
      release();
    };
  };

  const replay = (reply: FastifyReply, record: IdempotencyRecord): FastifyReply =>
    reply.code(record.statusCode).header(REPLAYED_HEADER, "true").type("application/json; charset=utf-8").send(record.response);

  /** A send under a key: answers the reply of a replay (sent), or undefined once this request holds the key. */
  const keyed = async (request: FastifyRequest, reply: FastifyReply, header: string | string[]): Promise<FastifyReply | undefined> => {
    const parsed = IdempotencyKeySchema.safeParse(header);
    if (!parsed.success) {
      throw new ClawTellError("CT_BAD_REQUEST", `Idempotency-Key: ${parsed.error.issues[0]?.message ?? "invalid"}`, { field: IDEMPOTENCY_KEY_HEADER });
    }
    const caller = callerOf(request);
    const key = parsed.data;
    const fingerprint = requestFingerprint(caller.name.name, comparableSend(request, request.body));
    const release = await takeTurn(`${caller.accountId}\n${key}`);
    // Released once the answer is out (or the client has gone): a concurrent duplicate then finds what this one stored.
    reply.raw.once("close", release);
    const now = clock.now();
    const found = await store.find(caller.accountId, key, now - IDEMPOTENCY_TTL_MS);
    if (found !== undefined) {
      if (found.fingerprint !== fingerprint) throw reused();
      return replay(reply, found);
    }
    pending.set(request, { accountId: caller.accountId, key, fingerprint, createdAt: now, bound: false });
    return undefined;
  };

  /** The answer of a send under a key that stored no message, remembered under the key (see `onSend`). */
  const remember = async (entry: PendingKey, status: number, messageId: string | null, payload: string): Promise<string> => {
    const record = await store.remember(
      { accountId: entry.accountId, key: entry.key, fingerprint: entry.fingerprint, createdAt: entry.createdAt, messageId, statusCode: status, response: payload },
      entry.createdAt - IDEMPOTENCY_TTL_MS,
    );
    return record.response;
  };

  return {
    preHandler(request, reply, done) {
      const header = request.headers[IDEMPOTENCY_KEY_HEADER];
      if (header === undefined) {
        done();
        return;
      }
      // After a replay the reply is sent, and fastify's next step does nothing more.
      settleHook(() => keyed(request, reply, header), (err) => (err === null ? done() : done(err)));
    },

    bind(request, messageId, body) {
      const entry = pending.get(request);
      if (entry === undefined) return undefined;
      entry.bound = true;
      const { accountId, key, fingerprint, createdAt } = entry;
      return { accountId, key, fingerprint, createdAt, messageId, statusCode: 200, response: JSON.stringify(body) };
    },

    async settle<T extends object>(request: FastifyRequest, reply: FastifyReply, messageId: string, body: T): Promise<T> {
      const entry = pending.get(request);
      if (entry === undefined || !entry.bound) return body;
      const held = await store.find(entry.accountId, entry.key, entry.createdAt - IDEMPOTENCY_TTL_MS);
      if (held === undefined || held.messageId === messageId) return body;
      // Another send stored a message with this key first (another process); this one's message was not stored.
      if (held.fingerprint !== entry.fingerprint) throw reused();
      void reply.code(held.statusCode).header(REPLAYED_HEADER, "true");
      return JSON.parse(held.response) as T;
    },

    onSend(request, reply, payload, done) {
      const entry = pending.get(request);
      if (entry === undefined || entry.bound || typeof payload !== "string") {
        done(null, payload);
        return;
      }
      const status = reply.statusCode;
      const messageId = messageIdOf(payload);
      // Remembered: 2xx answers, and refusals that name a receipt (a blocked send). Other errors stored nothing.
      if (!((status >= 200 && status < 300) || messageId !== null)) {
        done(null, payload);
        return;
      }
      settleHook(() => remember(entry, status, messageId, payload), done);
    },
  };
}

function messageIdOf(payload: string): string | null {
  try {
    const value = (JSON.parse(payload) as { messageId?: unknown }).messageId;
    return typeof value === "string" ? value : null;
  } catch {
    return null;
  }
}
