/**
 * A send's attachments taken in: each file, given in base64 (`data`) or as a `url` the server fetches, is streamed
 * into the file store (on disk or in the database) one chunk at a time, never held whole. On its way in each file is
 * judged by its first bytes (an executable is refused whatever its name and type say) and cut off as soon as it passes
 * {@link MAX_ATTACHMENT_BYTES}. A refused or failed file fails the send, naming its field (`attachments.2.url`), and
 * the files already saved for that send are removed: nothing of it is kept.
 */

import type { Dispatcher } from "undici";
import { ClawTellError, type Clock } from "../infra/index.js";
import {
  AttachmentFileNameSchema,
  base64DecodedLength,
  EXECUTABLE_SNIFF_BYTES,
  isAcceptedMimeType,
  isExecutableContent,
  MAX_ATTACHMENT_BYTES,
  type AttachmentUpload,
} from "../protocol/index.js";
import type { FileStore } from "./files.js";
import { originOf, withDownload, type Download } from "./outbound/index.js";
import type { StreamedFile } from "./send-body-stream.js";
import type { StoredAttachment } from "./store/index.js";

export interface AttachmentIntakeDeps {
  readonly files: FileStore;
  /** The guarded pool of outgoing requests (outbound/): attachment URLs never reach private addresses through it. */
  readonly outbound: Dispatcher;
  readonly clock: Clock;
  /** How long fetching one attachment URL may take, connection to last byte. */
  readonly fetchTimeoutMs: number;
}

/** Redirects followed when fetching an attachment URL; each hop is judged by the guard again. */
export const ATTACHMENT_MAX_REDIRECTS = 5;
/** The default of {@link AttachmentIntakeDeps.fetchTimeoutMs}. */
export const ATTACHMENT_FETCH_TIMEOUT_MS = 60_000;
/** Base64 decoded per step (a multiple of 4 characters): 768 KiB of bytes. */
const BASE64_STEP_CHARS = 1024 * 1024;

const refused = (field: string, message: string): ClawTellError => new ClawTellError("CT_BAD_REQUEST", `${field}: ${message}`, { field });
const tooLarge = (field: string): ClawTellError =>
  new ClawTellError("CT_PAYLOAD_TOO_LARGE", `${field}: at most ${MAX_ATTACHMENT_BYTES} bytes per file`, { field });

/** The decoded bytes of base64 text, a step at a time. */
async function* decodedBase64(text: string): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < text.length; at += BASE64_STEP_CHARS) yield Buffer.from(text.slice(at, at + BASE64_STEP_CHARS), "base64");
}

/**
 * The file's bytes as they pass: its first bytes held back until they can be judged (an executable fails with
 * CT_BAD_REQUEST on `field`), the whole cut off past {@link MAX_ATTACHMENT_BYTES} (CT_PAYLOAD_TOO_LARGE), and its
 * size counted into `counted`.
 */
export async function* screened(source: AsyncIterable<Uint8Array>, field: string, counted: { size: number }): AsyncGenerator<Uint8Array> {
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const chunk of source) {
    counted.size += chunk.length;
    if (counted.size > MAX_ATTACHMENT_BYTES) throw tooLarge(field);
    if (head === undefined) {
      yield chunk;
      continue;
    }
    head = Buffer.concat([head, chunk]);
    if (head.length < EXECUTABLE_SNIFF_BYTES) continue;
    if (isExecutableContent(head)) throw refused(field, "executables are not accepted");
    const first: Buffer = head;
    head = undefined;
    yield first;
  }
  if (head !== undefined) {
    if (isExecutableContent(head)) throw refused(field, "executables are not accepted");
    yield head;
  }
}

/** The last path segment of a URL, decoded: the name a downloaded file gets when the send gave none. */
function nameFromUrl(url: string): string {
  const segment = new URL(url).pathname.split("/").filter((s) => s !== "").at(-1) ?? "";
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** A downloaded file's name and type: the send's, else from the URL and the answer's Content-Type; judged as a send's. */
function describeDownload(upload: AttachmentUpload, download: Download, field: string): { filename: string; mimeType: string } {
  let filename = upload.filename;
  if (filename === undefined) {
    const named = AttachmentFileNameSchema.safeParse(nameFromUrl(download.url));
    if (!named.success) throw refused(`${field}.filename`, `no usable file name in the URL (${named.error.issues[0]?.message ?? "invalid"}); give filename`);
    filename = named.data;
  }
  let mimeType = upload.mime_type;
  if (mimeType === undefined) {
    const declared = (download.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
    if (!isAcceptedMimeType(declared)) throw refused(`${field}.mime_type`, `the URL answered type ${JSON.stringify(declared)}, which is not accepted`);
    mimeType = declared;
  }
  return { filename, mimeType };
}

/** Fetches one attachment URL into the store; every failure is a 4xx naming `attachments.<i>.url`. */
async function saveFromUrl(deps: AttachmentIntakeDeps, upload: AttachmentUpload & { url: string }, at: string, signal: AbortSignal | undefined): Promise<StoredAttachment> {
  const field = `${at}.url`;
  try {
    return await withDownload(
      { dispatcher: deps.outbound, clock: deps.clock },
      {
        url: upload.url,
        timeoutMs: deps.fetchTimeoutMs,
        maxBytes: MAX_ATTACHMENT_BYTES,
        maxRedirects: ATTACHMENT_MAX_REDIRECTS,
        headers: { accept: "*/*" },
        ...(signal === undefined ? {} : { signal }),
      },
      async (download) => {
        if (download.statusCode < 200 || download.statusCode > 299) {
          throw refused(field, `${originOf(download.url)} answered HTTP ${download.statusCode}`);
        }
        const { filename, mimeType } = describeDownload(upload, download, at);
        const counted = { size: 0 };
        const fileId = await deps.files.save(screened(download.body, field, counted));
        return { fileId, filename, mimeType, size: counted.size };
      },
    );
  } catch (err) {
    throw asUrlRefusal(err, field);
  }
}

/**
 * A failed fetch as the client's fault: refused targets 403, too large 413, everything else of the fetch (network,
 * timeout, redirects) 400. What is not the fetch's (the store failing) passes as it is.
 */
function asUrlRefusal(err: unknown, field: string): unknown {
  if (!(err instanceof ClawTellError)) return err;
  if (err.field?.startsWith("attachments.") === true) return err;
  if (err.code === "CT_PAYLOAD_TOO_LARGE") return tooLarge(field);
  if (err.code === "CT_FORBIDDEN") return new ClawTellError("CT_FORBIDDEN", `${field}: ${err.message}`, { field, cause: err });
  if (err.code === "CT_ABORTED" || err.code === "CT_STATE_WRITE_FAILED") return err;
  return refused(field, `could not be fetched (${err.message})`);
}

/**
 * Stores the send's files in order and answers them; on any failure removes those already stored and throws.
 * Files whose `data` was saved while a large body arrived (`streamed`, by index; streamed-sends.ts) are taken as
 * they are; sizes of the other base64 files are checked before anything is stored or fetched. The streamed files
 * belong to this call: a failure removes them too.
 */
export async function saveAttachments(
  deps: AttachmentIntakeDeps,
  uploads: readonly AttachmentUpload[],
  signal?: AbortSignal,
  streamed: ReadonlyMap<number, StreamedFile> = new Map(),
): Promise<StoredAttachment[]> {
  const saved: StoredAttachment[] = [];
  try {
    uploads.forEach((upload, i) => {
      if (upload.data !== undefined && !streamed.has(i) && base64DecodedLength(upload.data) > MAX_ATTACHMENT_BYTES) throw tooLarge(`attachments.${i}.data`);
    });
    for (const [i, upload] of uploads.entries()) {
      const at = `attachments.${i}`;
      if (upload.url !== undefined) {
        saved.push(await saveFromUrl(deps, { ...upload, url: upload.url }, at, signal));
        continue;
      }
      const { data = "", filename = "", mime_type: mimeType = "" } = upload;
      const early = streamed.get(i);
      if (early !== undefined) {
        if (early.stand !== data) throw new ClawTellError("CT_INTERNAL", `${at}.data: does not match the file saved for it`);
        saved.push({ fileId: early.fileId, filename, mimeType, size: early.size });
        continue;
      }
      const counted = { size: 0 };
      const fileId = await deps.files.save(screened(decodedBase64(data), `${at}.data`, counted));
      saved.push({ fileId, filename, mimeType, size: counted.size });
    }
  } catch (err) {
    await deps.files.remove([...new Set([...saved.map((a) => a.fileId), ...[...streamed.values()].map((f) => f.fileId)])]);
    throw err;
  }
  return saved;
}
