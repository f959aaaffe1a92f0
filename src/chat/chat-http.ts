/**
 * The HTTP plumbing shared by the Telegram, Discord and Slack senders: one POST over undici, JSON, form, raw bytes or multipart (injectable
 * dispatcher, per-request timeout, caller abort) and the answer policy — a 429 is waited out (bounded in count and
 * length), everything else becomes a ClawTellError whose code says whether trying again may help.
 */

import { Agent, errors as undiciErrors, FormData, request, type Dispatcher } from "undici";
import { ClawTellError, parseRetryAfter, type Clock, type ErrorCode, type Logger } from "../infra/index.js";

/** The options every chat sender takes besides its credentials and API root. */
export type ChatSenderBaseOptions = Omit<ChatHttpDeps, "logger" | "secrets"> & { readonly logger?: Logger };

/** What a sender needs from the outside world. */
export interface ChatHttpDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly dispatcher?: Dispatcher;
  /** Per request. @defaultValue 15000 */
  readonly timeoutMs?: number;
  /** How many 429s of one request are waited out before giving up (retryable). @defaultValue 3 */
  readonly maxRateLimitWaits?: number;
  /** A longer `retry_after` is not waited here but returned to the caller as `retryAfterMs`. @defaultValue 60000 */
  readonly maxRetryAfterMs?: number;
  /** Strings that must never appear in an error message (the bot token is in Telegram URLs). */
  readonly secrets?: readonly string[];
}

export interface ChatHttpAnswer {
  readonly status: number;
  readonly json: Record<string, unknown>;
  /** The body as text (some services, like Slack's incoming webhooks, answer in plain text). */
  readonly text?: string;
  /** The `Retry-After` header, when present. */
  readonly retryAfterHeader?: string;
}

/** How to read one service's answers. */
export interface ChatAnswerReader {
  /** The service's own rate-limit wait, in milliseconds. */
  retryAfterMs(answer: ChatHttpAnswer): number | undefined;
  /** A one-line description of a failed answer (never containing secrets). */
  describe(answer: ChatHttpAnswer): string;
}

const redact = (text: string, secrets: readonly string[] = []): string =>
  secrets.reduce((out, secret) => (secret === "" ? out : out.split(secret).join("[redacted]")), text);

/** The wire form of a body: `FormData` as multipart, `URLSearchParams` as a form, a `Blob` as its bytes, else JSON. */
async function encode(body: unknown): Promise<{ contentType?: string; payload: string | Buffer | FormData }> {
  if (body instanceof FormData) return { payload: body };
  if (body instanceof URLSearchParams) return { contentType: "application/x-www-form-urlencoded", payload: body.toString() };
  if (body instanceof Blob) return { contentType: body.type === "" ? "application/octet-stream" : body.type, payload: Buffer.from(await body.arrayBuffer()) };
  return { contentType: "application/json", payload: JSON.stringify(body) };
}

/**
 * The connection pool of senders given no dispatcher: one of ours, not undici's global one. A host process may set the
 * global dispatcher to one from another copy of undici (OpenClaw sets its own), which does not take our `FormData`:
 * multipart uploads through it never finish.
 */
let ownDispatcher: Dispatcher | undefined;
const dispatcherOf = (deps: ChatHttpDeps): Dispatcher => deps.dispatcher ?? (ownDispatcher ??= new Agent());

/** POSTs a body (see {@link encode}) and reads the answer. */
async function post(url: string, headers: Record<string, string>, body: unknown, deps: ChatHttpDeps, signal?: AbortSignal): Promise<ChatHttpAnswer> {
  const timeout = AbortSignal.timeout(deps.timeoutMs ?? 15_000);
  const { contentType, payload } = await encode(body);
  try {
    const response = await request(url, {
      method: "POST",
      headers: contentType === undefined ? headers : { "content-type": contentType, ...headers },
      body: payload,
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      dispatcher: dispatcherOf(deps),
    });
    const text = await response.body.text();
    const header = response.headers["retry-after"];
    let json: Record<string, unknown> = {};
    try {
      const parsed: unknown = text === "" ? {} : JSON.parse(text);
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
    } catch {
      // A proxy's HTML error page: the status alone decides.
    }
    return { status: response.statusCode, json, text, ...(typeof header === "string" ? { retryAfterHeader: header } : {}) };
  } catch (err) {
    const reason = redact(err instanceof Error ? err.message : String(err), deps.secrets);
    if (signal?.aborted === true) throw new ClawTellError("CT_ABORTED", "chat send aborted", { cause: err });
    if (timeout.aborted || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
      throw new ClawTellError("CT_TIMEOUT", `chat API did not answer within ${deps.timeoutMs ?? 15_000} ms`, { cause: err });
    }
    throw new ClawTellError("CT_API_UNREACHABLE", `chat API unreachable: ${reason}`, { cause: err });
  }
}

function failureCode(status: number): ErrorCode {
  if (status === 401) return "CT_AUTH_FAILED";
  if (status === 403) return "CT_FORBIDDEN";
  if (status >= 500) return "CT_API_SERVER_ERROR";
  return "CT_API_REJECTED";
}

/**
 * POSTs `body` (JSON, or a `FormData`) and returns the 2xx answer. A 429 is slept out (`retryAfterMs`, else 1 s) up
 * to `maxRateLimitWaits` times when the wait is at most `maxRetryAfterMs`; then `CT_RATE_LIMITED` (retryable, with
 * `retryAfterMs`).
 * 5xx → `CT_API_SERVER_ERROR` (retryable); 401/403 → `CT_AUTH_FAILED`/`CT_FORBIDDEN`; other 4xx → `CT_API_REJECTED`.
 */
export async function postWithRateLimit(
  target: { url: string; headers?: Record<string, string>; body: unknown },
  reader: ChatAnswerReader,
  deps: ChatHttpDeps,
  signal?: AbortSignal,
): Promise<ChatHttpAnswer> {
  const maxWaits = deps.maxRateLimitWaits ?? 3;
  const maxWaitMs = deps.maxRetryAfterMs ?? 60_000;
  for (let waits = 0; ; waits++) {
    const answer = await post(target.url, target.headers ?? {}, target.body, deps, signal);
    if (answer.status >= 200 && answer.status < 300) return answer;
    const description = redact(reader.describe(answer), deps.secrets);
    // The service's own field first, then the `Retry-After` header in either form (seconds or an HTTP date).
    const retryAfterMs = answer.status === 429 ? (reader.retryAfterMs(answer) ?? parseRetryAfter(answer.retryAfterHeader, deps.clock.now()) ?? 1000) : undefined;
    if (retryAfterMs === undefined) throw new ClawTellError(failureCode(answer.status), description, { status: answer.status });
    if (waits >= maxWaits || retryAfterMs > maxWaitMs) {
      throw new ClawTellError("CT_RATE_LIMITED", description, { status: 429, retryAfterMs });
    }
    deps.logger.warn({ retryAfterMs, wait: waits + 1 }, "chat API rate limit; waiting");
    try {
      await deps.clock.sleep(retryAfterMs, signal);
    } catch (err) {
      throw new ClawTellError("CT_ABORTED", "chat send aborted while waiting out a rate limit", { cause: err });
    }
  }
}
