/**
 * The send route's way of taking in large bodies: a `preParsing` hook that reads a large body as it arrives
 * (send-body-stream.ts), saving the attachments' base64 data into the file store, and hands the rest of the body on
 * to the ordinary JSON parser; the files saved wait for the route's handler, which takes them when it stores the
 * message. Until it takes them the request owns them: when the answer is sent without the handler taking them (the
 * body failed validation, the recipient was not found, an Idempotency-Key replay) or the client goes away first,
 * they are removed. Small bodies (a Content-Length up to the global body limit) pass untouched: they are read whole
 * and parsed like every other request, as fast as before.
 */

import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { FastifyReply, FastifyRequest, preParsingHookHandler } from "fastify";
import { ClawTellError } from "../infra/index.js";
import type { FileStore } from "./files.js";
import { DRAIN_LIMIT_BYTES } from "./refused-requests.js";
import { readSendBodyStreaming, type SendBodyLimits, type StreamedFile } from "./send-body-stream.js";

export type { StreamedFile };

interface Held {
  readonly files: ReadonlyMap<number, StreamedFile>;
  state: "held" | "taken" | "dropped";
}

const held = new WeakMap<FastifyRequest, Held>();

/** Whether a body is read as it arrives: JSON without a Content-Length, or with one past `inlineBytes`. */
export function streamsBody(request: FastifyRequest, inlineBytes: number): boolean {
  const type = request.headers["content-type"] ?? "";
  if (!type.toLowerCase().startsWith("application/json")) return false;
  const length = request.headers["content-length"];
  return length === undefined || Number(length) > inlineBytes;
}

/**
 * Reads what is left of a refused body and drops it, so the client still sending can read the answer; past
 * `limit` bytes the connection is cut.
 */
function drain(payload: Readable, limit: number): void {
  let drained = 0;
  const stop = (): void => {
    payload.off("data", onData);
    payload.off("end", stop);
    payload.off("error", stop);
    payload.off("close", stop);
  };
  function onData(chunk: Buffer): void {
    drained += chunk.length;
    if (drained <= limit) return;
    stop();
    payload.destroy();
  }
  payload.on("data", onData);
  payload.once("end", stop);
  payload.once("error", stop);
  payload.once("close", stop);
  payload.resume();
}

/** Lets the files go when the answer is out (or the client gone) and the handler has not taken them. */
function holdUntilTaken(request: FastifyRequest, reply: FastifyReply, files: FileStore, saved: ReadonlyMap<number, StreamedFile>): void {
  const entry: Held = { files: saved, state: "held" };
  held.set(request, entry);
  reply.raw.once("close", () => {
    if (entry.state !== "held") return;
    entry.state = "dropped";
    void files.remove([...saved.values()].map((file) => file.fileId)).catch(() => undefined);
  });
}

/**
 * The preParsing hook of the send route (in the callback form: a small body passes on in the same turn, without a
 * promise).
 */
export function streamLargeSends(files: FileStore, limits: SendBodyLimits & { readonly inlineBytes: number }): preParsingHookHandler {
  return (request, reply, payload, done) => {
    if (!streamsBody(request, limits.inlineBytes)) {
      done(null, payload);
      return;
    }
    const source = payload as Readable;
    readSendBodyStreaming(source.iterator({ destroyOnReturn: false }), files, limits).then(
      (body) => {
        if (body.files.size > 0) holdUntilTaken(request, reply, files, body.files);
        // The rest of the body, for the JSON parser; its length as it came, for fastify's Content-Length check.
        const rest = Readable.from(body.text.length === 0 ? [] : [body.text]) as Readable & { receivedEncodedLength?: number };
        rest.receivedEncodedLength = body.receivedBytes;
        done(null, rest);
      },
      (err: unknown) => {
        // As with any refused body (refused-requests.ts), what is left is read only up to a bound so the client can
        // read the answer, not to the send's whole limit; past it the connection is cut.
        if (!source.destroyed && !source.readableEnded) drain(source, DRAIN_LIMIT_BYTES);
        done(err instanceof Error ? err : new ClawTellError("CT_INTERNAL", String(err)));
      },
    );
  };
}

/**
 * The files the send's body brought, by attachment index, now owned by the caller (who stores them with the
 * message or removes them); an empty map when the body was small. CT_ABORTED when the client has gone and they
 * were removed already.
 */
export function takeStreamedFiles(request: FastifyRequest): ReadonlyMap<number, StreamedFile> {
  const entry = held.get(request);
  if (entry === undefined) return new Map();
  if (entry.state !== "held") throw new ClawTellError("CT_ABORTED", "attachments: the client went away before the send was stored", { field: "attachments" });
  entry.state = "taken";
  return entry.files;
}

/**
 * The send's body as the Idempotency-Key check compares it: each attachment's base64 `data` as the base64 SHA-256 of
 * its text, which is what a streamed file's stand-in already is, so the same send compares equal whether its body
 * streamed (large, or without a Content-Length) or was read whole.
 */
export function comparableSend(request: FastifyRequest, body: unknown): unknown {
  if (body === null || typeof body !== "object" || !("attachments" in body) || !Array.isArray(body.attachments)) return body;
  const streamed = held.get(request)?.files;
  const attachments = (body.attachments as unknown[]).map((item, index) => {
    if (streamed?.has(index) === true || item === null || typeof item !== "object" || !("data" in item) || typeof item.data !== "string") return item;
    return { ...item, data: createHash("sha256").update(item.data, "latin1").digest("base64") };
  });
  return { ...body, attachments };
}
