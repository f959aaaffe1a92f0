/**
 * The idempotency port: which answer a send under an `Idempotency-Key` got, per account, for 24 hours
 * (idempotency.ts in the server uses it). A key is bound to its answer in the same durable write as the message it
 * created (`NewMessage.idempotency`: the same journal line on the embedded backend, the same statement on PostgreSQL),
 * so a crash can never keep the message and lose the key, or the other way round. Answers that stored no message
 * (a refused send's receipt, a send held for approval) are bound with `remember`.
 */

/** A key and the answer it got. */
export interface IdempotencyRecord {
  readonly accountId: string;
  /** The `Idempotency-Key` header, as sent. */
  readonly key: string;
  /** SHA-256 (hex) of the request it came with (idempotency.ts): a reuse with another request is refused. */
  readonly fingerprint: string;
  /** The message the answer names, if any. */
  readonly messageId: string | null;
  readonly statusCode: number;
  /** The answer's body, as JSON. */
  readonly response: string;
  /** Epoch ms; the key counts until `createdAt + IDEMPOTENCY_TTL_MS` (then it has lapsed). */
  readonly createdAt: number;
}

/** How long a key is honoured. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface IdempotencyStore {
  /** The account's record of the key, unless it was created at or before `notBefore` (it has lapsed then). */
  find(accountId: string, key: string, notBefore: number): Promise<IdempotencyRecord | undefined>;
  /**
   * Stores the record unless the key has a record created after `notBefore` (a lapsed one is replaced); answers
   * the record that holds the key afterwards, this one or the earlier one.
   */
  remember(record: IdempotencyRecord, notBefore: number): Promise<IdempotencyRecord>;
  /** Deletes the records created before `createdBefore`; answers how many. */
  purge(createdBefore: number): Promise<number>;
}
