/**
 * Attachments for the agent: before a message is handed over, each of its files is downloaded into the account's
 * state folder (`attachments/<messageId>/<fileId>-<name>`, owner-only). A file the server no longer has (or refuses,
 * or that is too large) is named with the reason instead; trouble that may pass (network, 5xx, 429) fails the
 * delivery, which is tried again later. Folders are removed a week after their message.
 *
 * Each downloaded file is then handed to OpenClaw's media store and passed to the turn as inbound media, the way
 * OpenClaw's own channels do: OpenClaw copies it into the agent's workspace (or sandbox) and names it in the prompt,
 * so agents with `tools.fs.workspaceOnly` or a sandbox can read it, and images reach vision models. Where the host
 * refuses a file, the agent is told where our download lies instead.
 */

import { readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ClawTellClient } from "../client/index.js";
import { describeError, ensureDir, entriesChangedBefore, isClawTellError, writeFileDurable, type Logger } from "../infra/index.js";
import { MAX_ATTACHMENT_BYTES, type AttachmentRef, type Message } from "../protocol/index.js";
import type { HostMedia, MediaFactLike } from "./host-runtime.js";

/** How long downloaded attachments are kept. */
export const ATTACHMENT_KEEP_MS = 7 * 24 * 60 * 60 * 1000;
/** Answers that will not change on a later attempt: the file is gone, not ours, or too large. */
const FINAL_CODES = new Set(["CT_NOT_FOUND", "CT_FORBIDDEN", "CT_API_REJECTED", "CT_BAD_REQUEST"]);

/** One attachment after the download: where it lies, or why it is missing. */
export type FetchedAttachment = { readonly attachment: AttachmentRef } & ({ readonly path: string } | { readonly problem: string });

/** What the agent's turn gets: files for OpenClaw's inbound media, and a line about each file for the banner. */
export interface AgentAttachments {
  readonly media: MediaFactLike[];
  /** fileId → what the banner says about that file. */
  readonly notes: ReadonlyMap<string, string>;
}

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
): Promise<FetchedAttachment[]> {
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

/**
 * Hands the downloaded files to OpenClaw's media store (when the host has one) and words the banner's line for each.
 * A file the host refuses stays with the agent as our download's path.
 */
export async function attachmentsForAgent(fetched: readonly FetchedAttachment[], host: HostMedia | undefined, logger: Logger): Promise<AgentAttachments> {
  const media: MediaFactLike[] = [];
  const notes = new Map<string, string>();
  for (const file of fetched) {
    const { fileId, filename, mime_type: contentType } = file.attachment;
    if ("problem" in file) {
      notes.set(fileId, `not available: ${file.problem}`);
      continue;
    }
    if (host !== undefined) {
      try {
        const response = new Response(await readFile(file.path), { headers: { "content-type": contentType } });
        const saved = await host.saveResponseMedia(response, {
          subdir: "inbound",
          maxBytes: MAX_ATTACHMENT_BYTES,
          originalFilename: filename,
          filePathHint: filename,
          fallbackContentType: contentType,
        });
        media.push({ path: saved.path, contentType: saved.contentType ?? contentType, fileName: filename });
        notes.set(fileId, "attached");
        continue;
      } catch (err) {
        logger.warn({ fileId, reason: describeError(err).message }, "OpenClaw's media store refused an attachment; the agent gets our download's path");
      }
    }
    notes.set(fileId, `saved at ${file.path}`);
  }
  return { media, notes };
}

/** Removes the folders of messages older than `cutoff` (epoch ms); answers how many went. */
export async function sweepAttachments(dir: string, cutoff: number): Promise<number> {
  const old = await entriesChangedBefore(dir, cutoff);
  await Promise.all(old.map((name) => rm(join(dir, name), { recursive: true, force: true })));
  return old.length;
}
