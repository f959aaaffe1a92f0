// Records as the storage ports take them, for tests of the stores themselves.
import type { NameRecord, NewMessage } from "../../src/server/store/index.js";

/** A name with a fixed key hash and the defaults of a new name. */
export function nameRecord(name: string, accountId: string, keyPrefix: string, keyHash = `hash of ${name}`): Omit<NameRecord, "id"> {
  return {
    name,
    accountId,
    keyPrefix,
    keyHash,
    communicationMode: "allowlist_only",
    deliveryPolicy: "everyone",
    webhookUrl: null,
    webhookSecret: null,
    createdAt: 1,
  };
}

/** A plain message from alice to `to`, its own thread, without files. */
export function newMessage(id: string, to: { readonly id: number; readonly name: string }, createdAt = 10): NewMessage {
  return {
    id,
    recipientId: to.id,
    recipient: to.name,
    sender: "alice",
    subject: "Message",
    body: `body ${id}`,
    threadId: id,
    replyTo: null,
    autoReplyEligible: false,
    createdAt,
    attachments: [],
  };
}
