/**
 * One HTTP call to a ClawTell server on undici: auth header, JSON body, timeout and abort, and the mapping of every
 * failure to a ClawTellError — "the API said no" (4xx codes) apart from "we could not reach it".
 */

import { request, type Dispatcher } from "undici";
import type { ZodType } from "zod";
import { ClawTellError, type Clock, type ErrorCode } from "../infra/index.js";
import { parseRetryAfter } from "./retry-after.js";

export interface HttpDeps {
  readonly dispatcher?: Dispatcher;
  readonly clock: Clock;
  /** Per-request timeout. @defaultValue 30000 */
  readonly requestTimeoutMs: number;
}

export interface CallOptions {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE";
  readonly url: string;
  readonly apiKey: string;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** Overrides the per-request timeout (long polls wait longer). */
  readonly timeoutMs?: number;
}

export interface CallResult<T> {
  readonly status: number;
  readonly data: T;
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: "CT_BAD_REQUEST",
  401: "CT_AUTH_FAILED",
  403: "CT_FORBIDDEN",
  404: "CT_NOT_FOUND",
  429: "CT_RATE_LIMITED",
};

/** The error for a non-2xx answer. 408 counts as a timeout (retryable), 5xx as a server error. */
export function errorForStatus(status: number, message: string, retryAfterMs: number | undefined): ClawTellError {
  const code: ErrorCode = STATUS_CODES[status] ?? (status === 408 ? "CT_TIMEOUT" : status >= 500 ? "CT_API_SERVER_ERROR" : "CT_API_REJECTED");
  return new ClawTellError(code, message, { status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
}

export async function callJson<T>(deps: HttpDeps, options: CallOptions, schema: ZodType<T>): Promise<CallResult<T>> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? deps.requestTimeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  let response: Dispatcher.ResponseData;
  try {
    response = await request(options.url, {
      method: options.method,
      headers: { authorization: `Bearer ${options.apiKey}`, "content-type": "application/json", accept: "application/json" },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal,
      ...(deps.dispatcher === undefined ? {} : { dispatcher: deps.dispatcher }),
    });
  } catch (err) {
    if (options.signal?.aborted === true) throw new ClawTellError("CT_ABORTED", "request aborted", { cause: err });
    if (timeout.aborted) throw new ClawTellError("CT_TIMEOUT", `no answer from ${new URL(options.url).origin} in time`, { cause: err });
    throw new ClawTellError("CT_API_UNREACHABLE", `cannot reach ${new URL(options.url).origin}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const text = await response.body.text();
  let json: unknown;
  try {
    json = text === "" ? {} : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (response.statusCode < 200 || response.statusCode >= 300) {
    const fromBody = typeof json === "object" && json !== null && "error" in json ? String((json as { error: unknown }).error) : undefined;
    throw errorForStatus(response.statusCode, fromBody ?? `HTTP ${response.statusCode}`, parseRetryAfter(response.headers["retry-after"], deps.clock.now()));
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ClawTellError("CT_API_REJECTED", `unexpected answer from ${new URL(options.url).pathname}: ${issue?.path.join(".") ?? ""} ${issue?.message ?? ""}`.trim(), {
      status: response.statusCode,
      cause: parsed.error,
    });
  }
  return { status: response.statusCode, data: parsed.data };
}
