/**
 * OpenClaw's media store, as the adapter uses it: a file we downloaded is saved there, where OpenClaw's own paths
 * accept it (inbound media staged into an agent's workspace, outbound media sent to a chat).
 */

import { readFile } from "node:fs/promises";
import type { LocalFile } from "../daemon/index.js";
import { describeError, type Logger } from "../infra/index.js";
import { MAX_ATTACHMENT_BYTES } from "../protocol/index.js";
import type { HostMedia, MediaFactLike } from "./host-runtime.js";

/** Saves one local file into OpenClaw's media store; answers where it was stored. */
async function saveToHostMedia(host: HostMedia, file: LocalFile): Promise<MediaFactLike> {
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

/** `saveToHostMedia`, or `undefined` (logged, with `why` the caller's fallback) when the host refuses the file. */
export async function trySaveToHostMedia(host: HostMedia, file: LocalFile, logger: Logger, why: string): Promise<MediaFactLike | undefined> {
  try {
    return await saveToHostMedia(host, file);
  } catch (err) {
    logger.warn({ filename: file.filename, reason: describeError(err).message }, `OpenClaw's media store refused a file; ${why}`);
    return undefined;
  }
}
