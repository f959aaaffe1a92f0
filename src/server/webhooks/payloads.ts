/**
 * The JSON bodies of the server's webhooks (docs/server-api.md, "Webhooks"). Every body names its event, its delivery
 * id (the same on every attempt), the attempt, when the event happened, and the name whose webhook it is.
 */

import type { Message } from "../../protocol/index.js";
import { toFullName } from "../../protocol/index.js";
import { toWireMessage } from "../mailbox.js";
import type { MessageRecord, ReceiptState, WebhookDelivery } from "../store/index.js";

interface Envelope {
  readonly event: string;
  readonly deliveryId: string;
  readonly attempt: number;
  /** When the event happened (ISO-8601). */
  readonly timestamp: string;
  /** The name whose webhook this is (bare). */
  readonly name: string;
}

/** `message.received`: the message as polls and streams deliver it. */
export interface MessageReceivedBody extends Envelope {
  readonly event: "message.received";
  readonly message: Message;
}

/** `message.acked`: a message the name sent was acknowledged by its recipient. */
export interface MessageAckedBody extends Envelope {
  readonly event: "message.acked";
  readonly messageId: string;
  readonly to: string;
  readonly ackedAt: string;
}

/** `message.status`: the receipt of a message the name sent reached a new state. */
export interface MessageStatusBody extends Envelope {
  readonly event: "message.status";
  readonly messageId: string;
  readonly from: string;
  readonly to: string;
  readonly status: ReceiptState;
  readonly at: string;
}

export type WebhookBody = MessageReceivedBody | MessageAckedBody | MessageStatusBody;

/** The body of one attempt; a `message.received` needs its message. */
export function webhookBody(delivery: WebhookDelivery, attempt: number, message: MessageRecord | undefined): WebhookBody | undefined {
  const envelope = {
    deliveryId: delivery.id,
    attempt,
    timestamp: new Date(delivery.createdAt).toISOString(),
    name: delivery.name,
  };
  if (delivery.event === "message.acked") {
    return { event: "message.acked", ...envelope, messageId: delivery.messageId, to: toFullName(delivery.peer), ackedAt: envelope.timestamp };
  }
  if (delivery.event === "message.status") {
    if (delivery.state === null) return undefined;
    const { messageId, name, peer, state } = delivery;
    return { event: "message.status", ...envelope, messageId, from: toFullName(name), to: toFullName(peer), status: state, at: envelope.timestamp };
  }
  return message === undefined ? undefined : { event: "message.received", ...envelope, message: toWireMessage(message) };
}
