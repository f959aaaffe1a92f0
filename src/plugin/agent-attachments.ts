/**
 * A message's files for the agent's turn: each downloaded file (daemon/attachments.ts) is handed to OpenClaw's media
 * store and passed to the turn as inbound media, the way OpenClaw's own channels do. OpenClaw copies it into the
 * agent's workspace (or sandbox) and names it in the prompt, so agents with `tools.fs.workspaceOnly` or a sandbox can
 * read it, and images reach vision models. Where the host refuses a file, the agent is told where our download lies.
 */

import type { FetchedAttachment } from "../daemon/index.js";
import type { Logger } from "../infra/index.js";
import { trySaveToHostMedia } from "./host-media.js";
import type { HostMedia, MediaFactLike } from "./host-runtime.js";

/** What the agent's turn gets: files for OpenClaw's inbound media, and a line about each file for the banner. */
export interface AgentAttachments {
  readonly media: MediaFactLike[];
  /** fileId → what the banner says about that file. */
  readonly notes: ReadonlyMap<string, string>;
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
    const saved = host === undefined ? undefined : await trySaveToHostMedia(host, { path: file.path, filename, mimeType }, logger, "the agent gets our download's path");
    if (saved !== undefined) media.push(saved);
    notes.set(fileId, saved === undefined ? `saved at ${file.path}` : "attached");
  }
  return { media, notes };
}
