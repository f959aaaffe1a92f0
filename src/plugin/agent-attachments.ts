/**
 * Attachments for the agent: before a message is handed over, each of its files is downloaded into the account's
 * state folder (`attachments/<messageId>/<fileId>-<name>`, owner-only), and the agent reads where it lies. A file the
 * server no longer has (or refuses, or that is too large) is named with the reason instead; trouble that may pass
 * (network, 5xx, 429) fails the delivery, which is tried again later. Folders are removed a week after their message.
 */

import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ClawTellClient } from "../client/index.js";
import { ensureDir, entriesChangedBefore, isClawTellError, writeFileDurable } from "../infra/index.js";
import { MAX_ATTACHMENT_BYTES, type Message } from "../protocol/index.js";

/** How long downloaded attachments are kept. */
export const ATTACHMENT_KEEP_MS = 7 * 24 * 60 * 60 * 1000;
/** Answers that will not change on a later attempt: the file is gone, not ours, or too large. */
const FINAL_CODES = new Set(["CT_NOT_FOUND", "CT_FORBIDDEN", "CT_API_REJECTED", "CT_BAD_REQUEST"]);

/** fileId → what the agent is told about that file: its local path, or why it is missing. */
export type AttachmentNotes = ReadonlyMap<string, string>;

/** A name part that stays one plain name in the folder, whatever the server sent ("..", "a/b", ""). */
const safePart = (text: string): string => {
  const part = text.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 120);
  return /^\.*$/.test(part) ? `_${part}` : part;
};

export async function fetchAttachments(
  client: ClawTellClient,
  message: Message,
  dir: string,
  signal?: AbortSignal,
): Promise<AttachmentNotes> {
  const notes = new Map<string, string>();
  if (message.attachments.length === 0) return notes;
  const folder = join(dir, safePart(message.id));
  await ensureDir(folder);
  for (const attachment of message.attachments) {
    const path = join(folder, `${safePart(attachment.fileId)}-${safePart(attachment.filename)}`);
    // Downloaded on an earlier attempt: the rename that finished it makes the file complete.
    if (await stat(path).then(() => true, () => false)) {
      notes.set(attachment.fileId, `saved at ${path}`);
      continue;
    }
    try {
      const bytes = await client.downloadFile(attachment.fileId, MAX_ATTACHMENT_BYTES, signal);
      await writeFileDurable(path, bytes);
      notes.set(attachment.fileId, `saved at ${path}`);
    } catch (err) {
      if (!isClawTellError(err) || !FINAL_CODES.has(err.code)) throw err;
      notes.set(attachment.fileId, `not available: ${err.message}`);
    }
  }
  return notes;
}

/** Removes the folders of messages older than `cutoff` (epoch ms); answers how many went. */
export async function sweepAttachments(dir: string, cutoff: number): Promise<number> {
  const old = await entriesChangedBefore(dir, cutoff);
  await Promise.all(old.map((name) => rm(join(dir, name), { recursive: true, force: true })));
  return old.length;
}
