/**
 * Attachments of routed messages: before a message's 🦞 copy and its delivery, each of its files is downloaded once
 * into the account's state folder (`attachments/<messageId>/<fileId>-<name>`, owner-only), so the copy and every kind
 * of sink can hand over the same local file. A file the server no longer has (or refuses, or that is too large) is
 * kept as the reason instead; trouble that may pass (network, 5xx, 429) fails the attempt, which is tried again later.
 * Folders are removed a week after their message.
 */

import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ClawTellClient } from "../client/index.js";
import { ensureDir, entriesChangedBefore, isClawTellError, writeFileDurable } from "../infra/index.js";
import { MAX_ATTACHMENT_BYTES, type AttachmentRef, type Message } from "../protocol/index.js";
import type { LocalFile } from "./contracts.js";

/** How long downloaded attachments are kept. */
export const ATTACHMENT_KEEP_MS = 7 * 24 * 60 * 60 * 1000;
/** Answers that will not change on a later attempt: the file is gone, not ours, or too large. */
const FINAL_CODES = new Set(["CT_NOT_FOUND", "CT_FORBIDDEN", "CT_API_REJECTED", "CT_BAD_REQUEST"]);

/** One attachment after the download: where it lies, or why it is missing. */
export type FetchedAttachment = { readonly attachment: AttachmentRef } & ({ readonly path: string } | { readonly problem: string });

/** Downloads a message's attachments (see above); resolves with one entry per attachment, in order. */
export type AttachmentFetcher = (message: Message, signal?: AbortSignal) => Promise<readonly FetchedAttachment[]>;

/** The account's attachment folder under a state folder. */
export const attachmentsDirOf = (stateDir: string, accountId: string): string => join(stateDir, "attachments", encodeURIComponent(accountId));

/** A name part that stays one plain name in the folder, whatever the server sent ("..", "a/b", ""). */
const safePart = (text: string): string => {
  const part = text.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 120);
  return /^\.*$/.test(part) ? `_${part}` : part;
};

export async function fetchAttachments(client: ClawTellClient, message: Message, dir: string, signal?: AbortSignal): Promise<FetchedAttachment[]> {
  if (message.attachments.length === 0) return [];
  const folder = join(dir, safePart(message.id));
  await ensureDir(folder);
  const fetched: FetchedAttachment[] = [];
  for (const attachment of message.attachments) {
    const path = join(folder, `${safePart(attachment.fileId)}-${safePart(attachment.filename)}`);
    // Downloaded on an earlier attempt: the rename that finished it makes the file complete.
    if (await stat(path).then(() => true, () => false)) {
      fetched.push({ attachment, path });
      continue;
    }
    try {
      const bytes = await client.downloadFile(attachment.fileId, MAX_ATTACHMENT_BYTES, signal);
      await writeFileDurable(path, bytes);
      fetched.push({ attachment, path });
    } catch (err) {
      if (!isClawTellError(err) || !FINAL_CODES.has(err.code)) throw err;
      fetched.push({ attachment, problem: err.message });
    }
  }
  return fetched;
}

/** The files that were downloaded. */
export function localFiles(fetched: readonly FetchedAttachment[]): LocalFile[] {
  return fetched.flatMap((f) => ("path" in f ? [{ path: f.path, filename: f.attachment.filename, mimeType: f.attachment.mime_type }] : []));
}

/** Removes the folders of messages older than `cutoff` (epoch ms); answers how many went. */
export async function sweepAttachments(dir: string, cutoff: number): Promise<number> {
  const old = await entriesChangedBefore(dir, cutoff);
  await Promise.all(old.map((name) => rm(join(dir, name), { recursive: true, force: true })));
  return old.length;
}
