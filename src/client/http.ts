/**
 * One HTTP call to a ClawTell server on undici: auth header, JSON body, timeout and abort, a bounded body read, and
 * the mapping of every failure to a ClawTellError — "the API said no" (status codes) apart from "we could not reach it".
 */

import { request, type Dispatcher } from "undici";
import type { ZodType } from "zod";
import { ClawTellError, type Clock, type ErrorCode } from "../infra/index.js";
import { ErrorBodySchema } from "../protocol/index.js";
import { parseRetryAfter } from "../infra/index.js";

/** Largest response body read, in bytes (100 polled messages of 50 KB fit many times over). */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** What every call needs from the client. */
export interface HttpDeps {
  /** undici dispatcher; the global one when absent. */
  readonly dispatcher?: Dispatcher;
  readonly clock: Clock;
  /** Per-request timeout in milliseconds. */
  readonly requestTimeoutMs: number;
}

/** One request. */
export interface HttpCall {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE";
  readonly url: string;
  readonly apiKey: string;
  /** Sent as JSON when present. */
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** Overrides the per-request timeout (long polls wait longer). */
  readonly timeoutMs?: number;
}

/** A parsed 2xx answer and its status (200 and 202 mean different things for a send). */
export interface CallResult<T> {
  readonly status: number;
  readonly data: T;
}

const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  400: "CT_BAD_REQUEST",
  401: "CT_AUTH_FAILED",
  403: "CT_FORBIDDEN",
  404: "CT_NOT_FOUND",
  408: "CT_TIMEOUT",
  429: "CT_RATE_LIMITED",
};

/** The error for a non-2xx answer: 400/401/403/404/429 by name, 408 as a timeout, 5xx as a server error, other 4xx as rejected. */
export function errorForStatus(status: number, message: string, retryAfterMs: number | undefined): ClawTellError {
  const code: ErrorCode = STATUS_CODES[status] ?? (status >= 500 ? "CT_API_SERVER_ERROR" : "CT_API_REJECTED");
  return new ClawTellError(code, message, { status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
}

/** The server's `{ "error": "…" }` text, or `HTTP <status>` when the body says nothing readable. */
export function errorMessageOf(status: number, text: string): string {
  try {
    const parsed = ErrorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data.error;
  } catch {
    // not JSON (a proxy's HTML page): fall through to the status
  }
  return `HTTP ${status}`;
}

/**
 * Maps a transport failure: our caller aborted → CT_ABORTED; our own deadline → CT_TIMEOUT; anything else (refused,
 * reset, DNS) → CT_API_UNREACHABLE.
 */
export function transportError(err: unknown, what: string, callerSignal: AbortSignal | undefined, deadline: AbortSignal | undefined): ClawTellError {
  if (err instanceof ClawTellError) return err;
  if (callerSignal?.aborted === true) return new ClawTellError("CT_ABORTED", `${what}: aborted`, { cause: err });
  if (deadline?.aborted === true) return new ClawTellError("CT_TIMEOUT", `${what}: no answer in time`, { cause: err });
  return new ClawTellError("CT_API_UNREACHABLE", `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** Reads a body as UTF-8 text, refusing more than `maxBytes`. */
export async function readBodyText(body: Dispatcher.ResponseData["body"], maxBytes: number): Promise<string> {
  return (await readBodyBytes(body, maxBytes)).toString("utf8");
}

/** Reads a body whole, refusing more than `maxBytes` (CT_API_REJECTED). */
export async function readBodyBytes(body: Dispatcher.ResponseData["body"], maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const piece of body) {
    const buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
    size += buf.length;
    if (size > maxBytes) {
      body.on("error", () => undefined);
      body.destroy();
      throw new ClawTellError("CT_API_REJECTED", `answer larger than ${maxBytes} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** What went over the wire once the request is out: `headers` and `body` are sent as given. */
interface Exchange {
  readonly method: HttpCall["method"];
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  /** Largest 2xx body read; an error body is read up to MAX_RESPONSE_BYTES whatever this says. */
  readonly maxBytes: number;
}

const whereOf = (method: string, url: string): string => `${method} ${new URL(url).origin}${new URL(url).pathname}`;

/**
 * One request under our deadline and the caller's signal, its body read whole. A non-2xx answer throws the error for
 * its status; a transport failure throws as `transportError` maps it.
 */
async function exchange(deps: HttpDeps, call: Exchange): Promise<{ status: number; body: Buffer }> {
  const deadline = AbortSignal.timeout(call.timeoutMs ?? deps.requestTimeoutMs);
  const signal = call.signal === undefined ? deadline : AbortSignal.any([call.signal, deadline]);
  let status: number;
  let body: Buffer;
  let retryAfter: string | string[] | undefined;
  try {
    const response = await request(call.url, {
      method: call.method,
      headers: call.headers,
      ...(call.body === undefined ? {} : { body: call.body }),
      signal,
      ...(deps.dispatcher === undefined ? {} : { dispatcher: deps.dispatcher }),
    });
    status = response.statusCode;
    retryAfter = response.headers["retry-after"];
    body = await readBodyBytes(response.body, status >= 200 && status < 300 ? call.maxBytes : MAX_RESPONSE_BYTES);
  } catch (err) {
    throw transportError(err, whereOf(call.method, call.url), call.signal, deadline);
  }
  if (status < 200 || status >= 300) {
    throw errorForStatus(status, errorMessageOf(status, body.toString("utf8")), parseRetryAfter(retryAfter, deps.clock.now()));
  }
  return { status, body };
}

/**
 * Downloads `url` without our key (a signed link, perhaps on a storage host that must never see it), refusing more
 * than `maxBytes`. Failures map as for `callJson`.
 */
export async function fetchBytes(deps: HttpDeps, url: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
  return (await exchange(deps, { method: "GET", url, headers: {}, maxBytes, ...(signal === undefined ? {} : { signal }) })).body;
}

/**
 * Makes one call and parses a 2xx JSON answer with `schema` (or the schema for that status); throws a ClawTellError
 * otherwise.
 */
export async function callJson<T>(deps: HttpDeps, call: HttpCall, schema: ZodType<T> | ((status: number) => ZodType<T>)): Promise<CallResult<T>> {
  const where = whereOf(call.method, call.url);
  const { status, body } = await exchange(deps, {
    method: call.method,
    url: call.url,
    headers: {
      authorization: `Bearer ${call.apiKey}`,
      accept: "application/json",
      ...(call.body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
    ...(call.signal === undefined ? {} : { signal: call.signal }),
    ...(call.timeoutMs === undefined ? {} : { timeoutMs: call.timeoutMs }),
    maxBytes: MAX_RESPONSE_BYTES,
  });
  const text = body.toString("utf8");
  let json: unknown;
  try {
    json = text === "" ? {} : JSON.parse(text);
  } catch (err) {
    throw new ClawTellError("CT_API_REJECTED", `${where}: answer is not JSON`, { status, cause: err });
  }
  const parsed = (typeof schema === "function" ? schema(status) : schema).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ClawTellError("CT_API_REJECTED", `${where}: unexpected answer (${issue?.path.join(".") ?? ""} ${issue?.message ?? ""})`.replace(/\( /, "("), {
      status,
      cause: parsed.error,
    });
  }
  return { status, data: parsed.data };
}
