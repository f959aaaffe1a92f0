/**
 * Message content sealed at rest: a decorator over the message and approval ports that seals a message's subject and
 * body on the way in and opens them on the way out. The backend below stores the sealed text as it stored the plain
 * text, so nothing of a message's subject or body reaches a table in the clear. The embedded message store seals its
 * own content instead (content-sealing.ts: one seal per journal line, rows sealed in chunks at the hand-over), so on a data folder
 * only the approval port is wrapped (`sealStorage`'s `messagesSealed`). What stays plain: names, ids, times, thread ids,
 * attachment names, types and sizes, and the stored answers of idempotent sends (they carry ids only).
 *
 * A row's subject and body are sealed together (seal.ts, `sealPair`): one AES-GCM operation per message. Contexts (the
 * additional data of each seal): `message:<message id>`, `approval:<approval id>`; rows sealed field by field before
 * (`message:<message id>:subject|body`) still open.
 */

import type { ApprovalRecord, ApprovalStore, MessageRecord, MessageStore, NewMessage, ReceiptStore, Storage } from "../store/index.js";
import { createRecentPairs } from "./recent-pairs.js";
import { plainValue, sealedKeyId, type Sealer } from "./seal.js";

/**
 * The writes of sealed content not yet stored. Re-sealing waits for those begun before a pass (they may be sealed
 * under the old key) so that the pass sees them stored.
 */
export interface SealedWrites {
  track<T>(write: Promise<T>): Promise<T>;
  /** Resolves once every write begun before the call has settled. */
  settled(): Promise<void>;
}

export function createSealedWrites(): SealedWrites {
  const pending = new Set<Promise<unknown>>();
  return {
    track(write) {
      pending.add(write);
      const done = (): void => {
        pending.delete(write);
      };
      void write.then(done, done);
      return write;
    },
    async settled() {
      await Promise.allSettled([...pending]);
    },
  };
}

const untracked: SealedWrites = { track: (write) => write, settled: async () => {} };

export const messageContext = (id: string): string => `message:${id}`;
export const approvalContext = (id: string): string => `approval:${id}`;

export function sealMessages<T extends MessageStore>(inner: T, sealer: Sealer, writes: SealedWrites = untracked): T {
  const recent = createRecentPairs();
  const sealNew = (m: NewMessage): NewMessage => {
    const sealed = sealer.sealPair(m.subject, m.body, messageContext(m.id));
    if (sealed.body !== m.body) recent.remember(m.id, sealed, m);
    return { ...m, subject: sealed.subject, body: sealed.body };
  };
  const open = (m: MessageRecord): MessageRecord => {
    const { subject, body } = recent.find(m.id, m) ?? sealer.openPair(m.subject, m.body, messageContext(m.id));
    return { ...m, subject, body };
  };
  const openAll = (rows: MessageRecord[]): MessageRecord[] => rows.map(open);
  return {
    ...inner,
    insert: (messages) => writes.track(inner.insert(messages.map(sealNew))),
    claim: async (recipientIds, request) => openAll(await inner.claim(recipientIds, request)),
    listUnacked: async (recipientIds, limit, excludeSeqs) => openAll(await inner.listUnacked(recipientIds, limit, excludeSeqs)),
    find: async (id) => {
      const found = await inner.find(id);
      return found === undefined ? undefined : open(found);
    },
    listInbox: async (recipientId, query) => openAll(await inner.listInbox(recipientId, query)),
  };
}

export function sealApprovals(inner: ApprovalStore, sealer: Sealer, writes: SealedWrites = untracked): ApprovalStore {
  const open = (r: ApprovalRecord): ApprovalRecord => {
    const { subject, body } = sealer.openPair(r.message.subject, r.message.body, approvalContext(r.approvalId));
    return { ...r, message: { ...r.message, subject, body } };
  };
  const one = (r: ApprovalRecord | undefined): ApprovalRecord | undefined => (r === undefined ? undefined : open(r));
  return {
    ...inner,
    hold: (held) =>
      writes.track(inner.hold({
        ...held,
        message: { ...held.message, ...sealer.sealPair(held.message.subject, held.message.body, approvalContext(held.approvalId)) },
      })),
    find: async (id) => one(await inner.find(id)),
    listPending: async (recipientIds, now, limit) => (await inner.listPending(recipientIds, now, limit)).map(open),
    decide: async (id, decision) => one(await inner.decide(id, decision)),
    expire: async (now, limit) => (await inner.expire(now, limit)).map(open),
    claimDecided: async (now, retryAt, limit) => (await inner.claimDecided(now, retryAt, limit)).map(open),
  };
}

/**
 * The receipts with the subject of each sent message (the outbox) opened. A sealed row's subject is sealed with its
 * body, which the receipt does not carry: the message is read through the sealed message store instead.
 */
export function sealReceipts(inner: ReceiptStore, messages: MessageStore): ReceiptStore {
  return {
    ...inner,
    listSent: async (sender, limit) =>
      Promise.all(
        (await inner.listSent(sender, limit)).map(async (r) => {
          if (r.subject === null) return r;
          if (sealedKeyId(r.subject) === undefined) return { ...r, subject: plainValue(r.subject) };
          return { ...r, subject: (await messages.find(r.messageId))?.subject ?? null };
        }),
      ),
  };
}

/**
 * The storage with its message and approval content sealed; everything else passes through. `messagesSealed`: the
 * message port seals its own content (the embedded store, content-sealing.ts) and is left as it is.
 */
export function sealStorage<T extends Storage>(inner: T, sealer: Sealer, writes: SealedWrites = untracked, opts: { messagesSealed?: boolean } = {}): T {
  const messages = opts.messagesSealed === true ? inner.messages : sealMessages(inner.messages, sealer, writes);
  return { ...inner, messages, approvals: sealApprovals(inner.approvals, sealer, writes), receipts: sealReceipts(inner.receipts, messages) };
}
