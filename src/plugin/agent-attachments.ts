/**
 * A message's files for the agent's turn: each downloaded file (daemon/attachments.ts) is handed to OpenClaw's media
 * store and passed to the turn as inbound media, the way OpenClaw's own channels do. OpenClaw copies it into the
 * agent's workspace (or sandbox) and names it in the prompt, so agents with `tools.fs.workspaceOnly` or a sandbox can
 * read it, and images reach vision models. Where the host refuses a file, the agent is told where our download lies.
 */

import { readFile } from "node:fs/promises";
import type { FetchedAttachment } from "../daemon/index.js";
import { describeError, type Logger } from "../infra/index.js";
import { MAX_ATTACHMENT_BYTES } from "../protocol/index.js";
import type { HostMedia, MediaFactLike } from "./host-runtime.js";

/** What the agent's turn gets: files for OpenClaw's inbound media, and a line about each file for the banner. */
export interface AgentAttachments {
  readonly media: MediaFactLike[];
  /** fileId → what the banner says about that file. */
  readonly notes: ReadonlyMap<string, string>;
}

/** Saves one local file into OpenClaw's media store; answers where it was stored. */
export async function saveToHostMedia(host: HostMedia, file: { path: string; filename: string; mimeType: string }): Promise<MediaFactLike> {
  const response = new Response(await readFile(file.path), { headers: { "content-type": file.mimeType } });
  const saved = await host.saveResponseMedia(response, {
    subdir: "inbound",
    maxBytes: MAX_ATTACHMENT_BYTES,
    originalFilename: file.filename,
    filePathHint: file.filename,
    fallbackContentType: file.mimeType,
  });
  return { path: saved.path, contentType: saved.contentType ?? file.mimeType, fileName: file.filename };
}

export async function attachmentsForAgent(fetched: readonly FetchedAttachment[], host: HostMedia | undefined, logger: Logger): Promise<AgentAttachments> {
  const media: MediaFactLike[] = [];
  const notes = new Map<string, string>();
  for (const file of fetched) {
    const { fileId, filename, mime_type: mimeType } = file.attachment;
    if ("problem" in file) {
      notes.set(fileId, `not available: ${file.problem}`);
      continue;
    }
    if (host !== undefined) {
      try {
        media.push(await saveToHostMedia(host, { path: file.path, filename, mimeType }));
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
