/**
 * Local files to send as attachments: read from inside the given roots only (an agent's workspace or sandbox, the
 * CLI's working folder), checked against the service's limits (10 files, 25 MB together) and file kinds before any
 * request, so a refusal names the file and the reason.
 */

import { readFile, realpath, stat } from "node:fs/promises";
import { basename, extname, isAbsolute, relative, resolve, sep } from "node:path";
import { ClawTellError } from "../infra/index.js";
import { AttachmentUploadSchema, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, type AttachmentUpload } from "../protocol/index.js";

/** The file kinds the service accepts, by extension: images, PDF, Office, JSON, XML, text, archives, audio, video. */
const TYPE_BY_EXTENSION: Readonly<Record<string, string>> = {
  ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml",
  ".bmp": "image/bmp", ".tif": "image/tiff", ".tiff": "image/tiff", ".heic": "image/heic",
  ".pdf": "application/pdf", ".json": "application/json", ".xml": "application/xml", ".rtf": "application/rtf",
  ".doc": "application/msword", ".xls": "application/vnd.ms-excel", ".ppt": "application/vnd.ms-powerpoint",
  ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  ".txt": "text/plain", ".md": "text/markdown", ".csv": "text/csv", ".html": "text/html", ".htm": "text/html", ".log": "text/plain",
  ".zip": "application/zip", ".gz": "application/gzip", ".tgz": "application/gzip", ".tar": "application/x-tar",
  ".mp3": "audio/mpeg", ".wav": "audio/wav", ".ogg": "audio/ogg", ".m4a": "audio/mp4", ".flac": "audio/flac",
  ".mp4": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm", ".mkv": "video/x-matroska",
};

const refuse = (message: string): ClawTellError => new ClawTellError("CT_BAD_REQUEST", `attachments: ${message}`, { field: "attachments" });

/** Whether `path` is `root` or lies below it. */
function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * Reads `paths` (relative ones against the first root) as uploads. Links are followed before the check, so a link in
 * the workspace that points outside it is refused too. Throws CT_BAD_REQUEST / CT_PAYLOAD_TOO_LARGE naming the file.
 */
export async function readAttachmentFiles(paths: readonly string[], roots: readonly string[]): Promise<AttachmentUpload[]> {
  if (paths.length === 0) return [];
  if (paths.length > MAX_ATTACHMENTS) throw refuse(`at most ${MAX_ATTACHMENTS} files per message (got ${paths.length})`);
  if (roots.length === 0) throw refuse("no workspace is known for this turn, so no file can be sent");
  const realRoots = await Promise.all(roots.map((root) => realpath(root).catch(() => resolve(root))));
  const base = roots[0] ?? ".";
  const uploads: AttachmentUpload[] = [];
  let total = 0;
  for (const given of paths) {
    const absolute = resolve(base, given);
    const real = await realpath(absolute).catch(() => undefined);
    if (real === undefined) throw refuse(`${given}: no such file`);
    if (!realRoots.some((root) => inside(root, real))) {
      throw refuse(`${given} is outside the workspace (${roots.join(", ")}); only files inside it can be sent — copy the file there first`);
    }
    const info = await stat(real);
    if (!info.isFile()) throw refuse(`${given} is not a file`);
    total += info.size;
    if (total > MAX_ATTACHMENT_BYTES) {
      throw new ClawTellError("CT_PAYLOAD_TOO_LARGE", `attachments: at most ${MAX_ATTACHMENT_BYTES / (1024 * 1024)} MB per message together (${given} goes over)`, { field: "attachments" });
    }
    const filename = basename(absolute);
    const mimeType = TYPE_BY_EXTENSION[extname(filename).toLowerCase()];
    if (mimeType === undefined) throw refuse(`${filename}: this file type is not accepted (images, PDF, Office documents, JSON, XML, text, zip/gzip/tar, audio, video)`);
    const checked = AttachmentUploadSchema.safeParse({ data: (await readFile(real)).toString("base64"), filename, mime_type: mimeType });
    if (!checked.success) throw refuse(`${filename}: ${checked.error.issues.map((i) => i.message).join("; ")}`);
    uploads.push(checked.data);
  }
  return uploads;
}
