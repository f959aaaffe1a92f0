/**
 * What every route plugin of the server is given: the storage ports, the mailbox, the account's names, the clock and
 * settings. Who calls is not here: the authenticated context sets it on the request (contexts/caller.ts).
 */

import type { Dispatcher } from "undici";
import type { Clock, Logger } from "../infra/index.js";
import type { DashboardFiles } from "./dashboard-files.js";
import type { ApprovalApplier } from "./approval-applier.js";
import type { AccountNames } from "./auth.js";
import type { FileStore } from "./files.js";
import type { Mailbox } from "./mailbox.js";
import type { NameDirectory } from "./name-directory.js";
import type { Notifier } from "./notifier.js";
import type { MessageQuota } from "./quota.js";
import type { SignupOptions, SignupServices } from "./signup.js";
import type { Profiles } from "./profiles.js";
import type { LinkSigner } from "./signed-links.js";
import type { IdempotentSends } from "./idempotency.js";
import type { BlockedSends } from "./receipts.js";
import type { ApprovalStore, DirectoryStore, MessageStore, ReceiptStore, WebhookStore } from "./store/index.js";

export interface ServerOptions {
  /** How long a handed-out, unacked message stays hidden before it is delivered again. @defaultValue 60000 */
  visibilityTimeoutMs?: number;
  /** Interval of `: keepalive` comments on streams. @defaultValue 15000 */
  keepaliveMs?: number;
  /** bcrypt cost for keys created through this server's store. @defaultValue 10 */
  bcryptCost?: number;
  /** How often expired and acked messages are purged. @defaultValue 300000 */
  retentionIntervalMs?: number;
  /** How long a signed attachment download link works. @defaultValue 300000 */
  fileLinkTtlMs?: number;
  /** Counters and latency histograms, served at `GET /metrics`. @defaultValue true */
  metrics?: boolean;
  /**
   * Addresses of the reverse proxies in front of the server (IPs or CIDR ranges, comma-separated): for requests from
   * them, the caller's address (rate limits, the audit) is read from `X-Forwarded-For`. @defaultValue none
   */
  trustProxy?: string;
  /** Requests per caller address on the public routes. @defaultValue 6000 per 60000 ms */
  publicRateLimit?: RateLimit;
  /** Requests per API key on the routes that need a key. @defaultValue 1200000 per 60000 ms */
  keyRateLimit?: RateLimit;
  /**
   * Messages each account may send per calendar month (UTC), unless the operator gave the account its own quota;
   * 0 or absent: unlimited. @defaultValue unlimited
   */
  monthlyQuota?: number;
  /** How long a message held for approval waits before it expires. @defaultValue 604800000 (7 days) */
  approvalTtlMs?: number;
  /** How often the server looks for approval decisions recorded by `clawtell admin` or other servers. @defaultValue 1000 */
  approvalPollMs?: number;
  /** Registration by email, dashboard sign-in and the mail they send (signup.ts). */
  signup?: SignupOptions;
  /**
   * The server's outgoing requests — webhooks and the fetches of attachments sent by `url` — may call loopback,
   * private, link-local and other non-public addresses (a test, or a server whose agents all live on its private
   * network). @defaultValue false
   */
  allowPrivateWebhooks?: boolean;
  /** How long fetching one attachment sent by `url` may take, connection to last byte. @defaultValue 60000 */
  attachmentFetchTimeoutMs?: number;
  /** How long one webhook attempt may take, connection to last byte. @defaultValue 10000 */
  webhookTimeoutMs?: number;
  /** The built dashboard served under `/dashboard` (dashboard-files.ts). @defaultValue beside the server's bundle */
  dashboardDir?: string;
}

/** At most `max` requests per `windowMs`; a `max` of 0 turns the limit off. */
export interface RateLimit {
  max?: number;
  /** @defaultValue 60000 */
  windowMs?: number;
}

/** Largest request body accepted, in bytes (a 50 000-character body in JSON fits comfortably). */
export const BODY_LIMIT_BYTES = 256 * 1024;

export interface ServerContext {
  readonly directory: DirectoryStore;
  readonly messages: MessageStore;
  readonly mailbox: Mailbox;
  readonly notifier: Notifier;
  readonly accounts: AccountNames;
  readonly names: NameDirectory;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly keepaliveMs: number;
  /** Attachment bytes, and the links that download them. */
  readonly files: FileStore;
  /** The guarded pool of the server's outgoing requests (outbound/): webhooks and attachment URLs. */
  readonly outbound: Dispatcher;
  readonly attachmentFetchTimeoutMs: number;
  /** How long one webhook request may take (deliveries and test events). */
  readonly webhookTimeoutMs: number;
  readonly links: LinkSigner;
  readonly fileLinkTtlMs: number;
  /** Held messages and their decisions; the applier delivers approved ones. */
  readonly approvals: ApprovalStore;
  readonly approvalApplier: ApprovalApplier;
  readonly approvalTtlMs: number;
  /** The accounts' monthly message quotas, counted on send. */
  readonly quota: MessageQuota;
  /** Registration and dashboard sessions. */
  readonly signup: SignupServices;
  /** Webhook deliveries and each name's chosen events. */
  readonly webhooks: WebhookStore;
  /** Sender receipts, and the `blocked` receipts of refused sends. */
  readonly receipts: ReceiptStore;
  readonly blockedSends: BlockedSends;
  /** `Idempotency-Key` on send. */
  readonly idempotentSends: IdempotentSends;
  /** Directory profiles and their search. */
  readonly profiles: Profiles;
  /** The dashboard's built files, served under `/dashboard`. */
  readonly dashboard: DashboardFiles;
}
