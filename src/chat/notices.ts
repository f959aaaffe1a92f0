/** What goes to a human's chat: the texts (🦞 copy, 📤 notice, alerts), their files, and who sends them. Types only. */

import type { ForwardTarget } from "../config/index.js";

/** A file the daemon downloaded, as chats and sinks need it. */
export interface LocalFile {
  readonly path: string;
  readonly filename: string;
  readonly mimeType: string;
}

/** A text for the human, e.g. the 🦞 banner, a 📤 notice or a dead-letter alert. */
export interface HumanNotice {
  readonly kind: "delivery" | "reply" | "dead_letter" | "alarm";
  readonly text: string;
  /** The agent whose human should see it (their active chat is looked up). */
  readonly agentId?: string;
  readonly accountId: string;
  /** An explicit chat (config `forwardTo`) that wins over the active-chat lookup. */
  readonly forwardTo?: ForwardTarget;
  /** Files that go with the text (a 🦞 copy's attachments), sent after it. */
  readonly files?: readonly LocalFile[];
}

/** Sends texts (and their files) to the human's active chat. Throws when it could not be sent (the caller retries). */
export interface ChatForwarder {
  send(notice: HumanNotice, signal?: AbortSignal): Promise<void>;
}
