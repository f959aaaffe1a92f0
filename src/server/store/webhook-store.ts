/**
 * The webhook port: the deliveries a name's `webhook_url` is owed, durable until they end, and which events each name
 * asked for. Deliveries are created by the message store in the same write as what they report (an outbox): a
 * `message.received` with the message, for a recipient that has a webhook URL and the event; a `message.acked` with
 * the ack, for a sender that asked for that event; a `message.status` with each receipt state a message reaches, for a
 * sender that asked for that event (status-deliveries.ts). The dispatcher (webhooks/dispatcher.ts) claims due deliveries
 * under a lease, so that two processes never attempt the same one at once, and records each attempt.
 */

import { WEBHOOK_EVENTS, type WebhookEventName } from "../../protocol/index.js";
import type { ReceiptState } from "./receipt-store.js";

/** The events a webhook may be sent. */
export { WEBHOOK_EVENTS };
export type WebhookEvent = WebhookEventName;

/** What a name gets without choosing. */
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEvent[] = ["message.received"];

/** `pending` waits for an attempt (the first or a retry); the others are final. */
export const DELIVERY_STATUSES = ["pending", "delivered", "failed", "cancelled"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface WebhookDelivery {
  /** Stable across attempts and restarts (`X-ClawTell-Delivery`). */
  readonly id: string;
  /** The name whose webhook is called: its id, and its name (the URL and secret are read from it at each attempt). */
  readonly nameId: number;
  readonly name: string;
  readonly event: WebhookEvent;
  readonly messageId: string;
  /** The receipt state a `message.status` delivery reports; null for the other events. */
  readonly state: ReceiptState | null;
  /** The other side: the sender of a received message, the recipient of an acked one (bare name). */
  readonly peer: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** When the event happened (epoch ms). */
  readonly createdAt: number;
  /** When the next attempt is due; null once final. */
  readonly nextAttemptAt: number | null;
  readonly lastAttemptAt: number | null;
  /** The HTTP status of the last attempt, when one came. */
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  /** When it became final. */
  readonly finishedAt: number | null;
}

/** The outcome of one attempt (or of a decision without one: `cancelled`). */
export interface AttemptOutcome {
  readonly at: number;
  readonly status: DeliveryStatus;
  /** Whether a request went out (it counts as an attempt). */
  readonly attempted: boolean;
  readonly statusCode: number | null;
  readonly error: string | null;
  /** When `status` is `pending`: when to try again. */
  readonly nextAttemptAt: number | null;
}

export interface WebhookStore {
  /**
   * Leases up to `limit` pending deliveries due by `now` until `leaseUntil`, earliest first; while leased, no other
   * claim (in this process or another) gets them. A lease held by a process that has died ends early.
   */
  claimDue(request: { now: number; limit: number; leaseUntil: number }): Promise<WebhookDelivery[]>;
  /** Stores an attempt's outcome and ends the delivery's lease. */
  recordAttempt(deliveryId: string, outcome: AttemptOutcome): Promise<void>;
  /** When the earliest pending delivery that no live lease holds is due, if any. */
  nextDue(now: number): Promise<number | undefined>;
  /** Ends this process's leases (it is closing): its deliveries are due again at once. */
  releaseLeases(): Promise<void>;
  /** A name's deliveries, newest first. */
  list(nameId: number, limit: number): Promise<WebhookDelivery[]>;
  /** The events the name asked for ({@link DEFAULT_WEBHOOK_EVENTS} unless it chose). */
  events(nameId: number): Promise<WebhookEvent[]>;
  setEvents(nameId: number, events: readonly WebhookEvent[]): Promise<void>;
  /** Calls `listener` when this process has stored new deliveries; answers the unsubscribe. */
  onEnqueued(listener: () => void): () => void;
  /** Deletes final deliveries that ended before `before`; answers how many. */
  purge(before: number): Promise<number>;
}
