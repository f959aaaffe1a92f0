/**
 * `message.status` deliveries (webhook-store.ts), shared by both backends: the SQL they are written and held with is
 * the same in SQLite and PostgreSQL. A sender that asked for the event gets one delivery per state its message reaches
 * (`sts_<state>_<message id>`, so a state is reported once however often it is recorded), and a state is not attempted
 * while an earlier state of the same message is still pending for the same name: the receiver sees `accepted`,
 * `delivered`, `acked` in that order even when they happen within one flush, and a state waits for the retries of the
 * one before it (once that one ends, delivered or not, the next goes).
 */

import { RECEIPT_STATES, type ReceiptState } from "./receipt-store.js";

export const STATUS_EVENT = "message.status";

/** The delivery id of a state of a message, as an SQL expression of the message id's expression. */
export const statusDeliveryIdSql = (state: ReceiptState, messageId: string): string => `'sts_${state}_' || ${messageId}`;

/** The delivery id of a state of a message. */
export const statusDeliveryId = (state: ReceiptState, messageId: string): string => `sts_${state}_${messageId}`;

/** The rank of a state column's value in RECEIPT_STATES (every path a message takes goes up this order). */
const rankSql = (column: string): string =>
  `CASE ${column} ${RECEIPT_STATES.map((state, i) => `WHEN '${state}' THEN ${i}`).join(" ")} ELSE ${RECEIPT_STATES.length} END`;

/**
 * SQL true when the delivery `alias` is a state held back by an earlier pending state of the same message for the same
 * name. The partial index `webhook_deliveries_status_pending` serves the lookup.
 */
export const heldStatusSql = (alias: string): string =>
  `(${alias}.event = '${STATUS_EVENT}' AND EXISTS (SELECT 1 FROM webhook_deliveries e
     WHERE e.message_id = ${alias}.message_id AND e.event = '${STATUS_EVENT}' AND e.status = 'pending' AND e.name_id = ${alias}.name_id
       AND ${rankSql("e.state")} < ${rankSql(`${alias}.state`)}))`;
