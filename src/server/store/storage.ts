/**
 * What a server stores through: the directory and the message ports of one backend, opened together and closed
 * together. `buildServer` takes a `Storage` and never asks which backend it is: the embedded one (a data folder, one
 * process: embedded-storage.ts) or PostgreSQL (one database, any number of processes: postgres/).
 */

import type { ApprovalStore } from "./approval-store.js";
import type { DirectoryStore } from "./directory-store.js";
import type { IdempotencyStore } from "./idempotency-store.js";
import type { MessageStore } from "./message-store.js";
import type { QuotaStore } from "./quota-store.js";
import type { RegistrationStore } from "./registration-store.js";
import type { SessionStore } from "./session-store.js";
import type { ReceiptStore } from "./receipt-store.js";
import type { WebhookStore } from "./webhook-store.js";
import type { ProfileStore } from "./profile-store.js";
import type { SealedRowStore } from "./sealed-rows-store.js";

export interface Storage {
  readonly directory: DirectoryStore;
  readonly messages: MessageStore;
  /** Messages held for their recipient owner's approval, and the decisions on them. */
  readonly approvals: ApprovalStore;
  /** Monthly message counts and the accounts' own quotas. */
  readonly quotas: QuotaStore;
  /** Sign-ups waiting for email verification, and invite codes. */
  readonly registrations: RegistrationStore;
  /** Dashboard login links and sessions. */
  readonly sessions: SessionStore;
  /** Webhook deliveries (queued by `messages` with what they report) and the events each name asked for. */
  readonly webhooks: WebhookStore;
  /** What became of each message, for its sender. */
  readonly receipts: ReceiptStore;
  /** Idempotency-Key records of sends (bound by `messages` with the message they created). */
  readonly idempotency: IdempotencyStore;
  /** Directory profiles and their search. */
  readonly profiles: ProfileStore;
  /** The rows whose content is sealed at rest, for re-sealing them under a new master key. */
  readonly sealedRows: SealedRowStore;
  /**
   * Resolves when the backend can serve requests; rejects with CT_UNAVAILABLE when it cannot (its database is gone,
   * or it has been closed). Readiness (`/readyz`) asks this.
   */
  ping(): Promise<void>;
  /** Writes out whatever waits and lets go of the backend; calling it again does nothing. */
  close(): Promise<void>;
}

/**
 * What `clawtell admin` opens beside a running server: the directory and the stores of its commands, never the
 * messages (on a data folder the message journal belongs to the server process).
 */
export type AdminStores = Pick<Storage, "directory" | "approvals" | "quotas" | "registrations" | "sessions">;
