/**
 * Requests refused before they reach a route, answered so that every client can read the answer:
 *
 * - **Bodies over the limit** (the global one, or a route's own such as the send's): 413 in the error shape with
 *   `Connection: close`, sent at once; the rest of the body is then read and dropped (up to {@link DRAIN_LIMIT_BYTES})
 *   before the connection closes. Closing while the client still sends would reset the connection, and a client
 *   such as `fetch` would see EPIPE instead of the answer. Past the bound the connection is cut.
 * - **Malformed HTTP** (bad request line or headers, headers too large): 400/431 in the error shape with
 *   `Connection: close` (no body for a HEAD), then the connection ends cleanly instead of being reset.
 */

import type { Socket } from "node:net";
import { STATUS_CODES } from "node:http";
import type { ConnectionError, FastifyReply, FastifyRequest } from "fastify";

/** How many bytes of a refused body are read and dropped so the client can read the 413, before the connection is cut. */
export const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

interface ErrorAnswer {
  readonly statusCode: number;
  readonly code: string;
  readonly error: string;
  readonly field?: string;
}

/** Whether the request announces (Content-Length) a body larger than `limit`. */
export function announcesTooLarge(request: FastifyRequest, limit: number): boolean {
  const length = Number(request.headers["content-length"]);
  return Number.isFinite(length) && length > limit;
}

/** Answers 413 at once with `Connection: close`, then drains what is left of the body (bounded) and closes. */
export function refuseTooLarge(request: FastifyRequest, reply: FastifyReply, limit: number): void {
  const answer: ErrorAnswer = {
    statusCode: 413,
    code: "CT_PAYLOAD_TOO_LARGE",
    error: `body: larger than this call accepts (${limit} bytes)`,
    field: "body",
  };
  const text = JSON.stringify(answer);
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(413, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    connection: "close",
  });
  // The whole answer goes out now; the response ends (and the connection closes) once the body is read.
  raw.write(text);
  const incoming = request.raw;
  if (incoming.complete || incoming.destroyed) {
    raw.end();
    return;
  }
  let drained = 0;
  const onData = (chunk: Buffer): void => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT_BYTES) {
      done();
      incoming.socket.destroy();
    }
  };
  const done = (): void => {
    incoming.removeListener("data", onData);
    incoming.removeListener("end", done);
    incoming.removeListener("error", done);
    incoming.removeListener("close", done);
    if (!raw.writableEnded) raw.end();
  };
  incoming.on("data", onData);
  incoming.once("end", done);
  incoming.once("error", done);
  incoming.once("close", done);
  incoming.resume();
}

/** Sockets already answered after a parse error: the parser may report more than one error for the same bytes. */
const answered = new WeakSet<Socket>();

/** Node's `clientError`: a request the HTTP parser refused. Answers in the error shape and ends the connection. */
export function answerClientError(err: ConnectionError, socket: Socket): void {
  if (err.code === "ECONNRESET" || socket.destroyed || answered.has(socket)) return;
  answered.add(socket);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const answer: ErrorAnswer =
    err.code === "HPE_HEADER_OVERFLOW"
      ? { statusCode: 431, code: "CT_PAYLOAD_TOO_LARGE", error: "headers: too large", field: "headers" }
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? { statusCode: 408, code: "CT_TIMEOUT", error: "request: not received in time" }
        : { statusCode: 400, code: "CT_BAD_REQUEST", error: "request: malformed HTTP request", field: "request" };
  const text = JSON.stringify(answer);
  // Node hands the refused bytes as a Buffer (fastify's type says otherwise).
  const packet: unknown = err.rawPacket;
  const head = Buffer.isBuffer(packet) && packet.subarray(0, 5).toString("latin1") === "HEAD ";
  socket.end(
    `HTTP/1.1 ${answer.statusCode} ${STATUS_CODES[answer.statusCode] ?? "Error"}\r\n` +
      "content-type: application/json; charset=utf-8\r\n" +
      `content-length: ${Buffer.byteLength(text)}\r\n` +
      "connection: close\r\n\r\n" +
      (head ? "" : text),
  );
}
