/**
 * Attachments: `GET /api/files/{fileId}` answers a signed link for a file of the caller's account (as recipient or
 * sender); `GET /files/{fileId}?expires&sig` downloads it with that link and no key (public).
 */

import { z } from "zod";
import { ClawTellError } from "../../infra/index.js";
import { FileUrlResponseSchema } from "../../protocol/index.js";
import type { ServerContext } from "../context.js";
import { callerOf } from "../contexts/caller.js";
import type { ZodApp } from "../contexts/schemas.js";

const FileParamsSchema = z.object({ fileId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, "not a file id") });
const LinkQuerySchema = z.object({ expires: z.string().default(""), sig: z.string().default("") });

/** `attachment` with the name in ASCII for old clients and in UTF-8 (RFC 6266) for the rest. */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  // encodeURIComponent leaves ' ( ) * as they are; RFC 5987 wants them encoded too.
  const utf8 = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${utf8}`;
}

/** With the key: a signed download link for a file the caller's account sent or received. */
export function fileRoutes(app: ZodApp, ctx: ServerContext): void {
  const { messages, accounts, clock, links, fileLinkTtlMs } = ctx;

  app.get(
    "/api/files/:fileId",
    { schema: { summary: "A signed download link for an attachment", params: FileParamsSchema, response: { 200: FileUrlResponseSchema } } },
    async (request) => {
      const caller = callerOf(request);
      const { fileId } = request.params;
      const file = await messages.findFile(fileId);
      const own = await accounts.of(caller);
      const mayRead = file !== undefined && own.some((n) => n.id === file.recipientId || n.name === file.sender);
      // Another account's file answers like a missing one: ids reveal nothing.
      if (!mayRead) throw new ClawTellError("CT_NOT_FOUND", "File not found", { field: "fileId" });
      const expiresAt = clock.now() + fileLinkTtlMs;
      const signedUrl = `${request.protocol}://${request.host}${links.pathFor(fileId, expiresAt)}`;
      return { signedUrl, url: signedUrl, expiresAt: new Date(expiresAt).toISOString() };
    },
  );
}

/** Public: the download itself, authorised by the link's signature. */
export function publicFileRoutes(app: ZodApp, ctx: ServerContext): void {
  const { messages, clock, files, links } = ctx;

  app.get(
    "/files/:fileId",
    {
      schema: {
        summary: "Download an attachment with a signed link",
        params: FileParamsSchema,
        querystring: LinkQuerySchema,
        response: { 200: { description: "The file's bytes, as uploaded", content: { "application/octet-stream": { schema: z.unknown() } } } },
      },
    },
    async (request, reply) => {
      const { fileId } = request.params;
      const { expires, sig } = request.query;
      if (!links.verify(fileId, expires, sig, clock.now())) {
        throw new ClawTellError("CT_FORBIDDEN", "This download link is invalid or has expired; ask GET /api/files/{fileId} for a new one", {
          field: "sig",
        });
      }
      const file = await messages.findFile(fileId);
      if (file === undefined) throw new ClawTellError("CT_NOT_FOUND", "File not found", { field: "fileId" });
      // The bytes are whatever a sender uploaded: never let a browser render them as a page of this origin.
      return reply
        .header("content-type", file.mimeType)
        .header("content-length", file.size)
        .header("content-disposition", contentDisposition(file.filename))
        .header("x-content-type-options", "nosniff")
        .header("content-security-policy", "sandbox; default-src 'none'")
        .header("cache-control", "private, no-store")
        .send(files.read(fileId));
    },
  );
}
