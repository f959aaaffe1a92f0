/**
 * The one error class of the project. Every failure carries a `code` from a closed list; whether it is worth
 * retrying and which HTTP status the embedded server answers with are looked up in one table.
 */

export const ERROR_CODES = [
  "CT_CONFIG_INVALID",
  "CT_BAD_REQUEST",
  "CT_AUTH_FAILED",
  "CT_FORBIDDEN",
  "CT_REGISTRATION_CLOSED",
  "CT_NOT_FOUND",
  "CT_CONFLICT",
  "CT_IDEMPOTENCY_KEY_REUSED",
  "CT_PAYLOAD_TOO_LARGE",
  "CT_RATE_LIMITED",
  "CT_QUOTA_EXCEEDED",
  "CT_API_REJECTED",
  "CT_API_UNREACHABLE",
  "CT_API_SERVER_ERROR",
  "CT_TIMEOUT",
  "CT_ABORTED",
  "CT_ROUTE_UNKNOWN",
  "CT_SINK_FAILED",
  "CT_STATE_CORRUPT",
  "CT_STATE_WRITE_FAILED",
  "CT_QUEUE_FULL",
  "CT_UNAVAILABLE",
  "CT_INTERNAL",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

interface CodePolicy {
  /** Whether an operation that failed with this code may succeed when tried again. */
  readonly retryable: boolean;
  /** The HTTP status the embedded server answers with. */
  readonly status: number;
}

const POLICY: Record<ErrorCode, CodePolicy> = {
  CT_CONFIG_INVALID: { retryable: false, status: 500 },
  CT_BAD_REQUEST: { retryable: false, status: 400 },
  CT_AUTH_FAILED: { retryable: false, status: 401 },
  CT_FORBIDDEN: { retryable: false, status: 403 },
  CT_REGISTRATION_CLOSED: { retryable: false, status: 403 },
  CT_NOT_FOUND: { retryable: false, status: 404 },
  CT_CONFLICT: { retryable: false, status: 409 },
  /** An `Idempotency-Key` sent again with another request. */
  CT_IDEMPOTENCY_KEY_REUSED: { retryable: false, status: 409 },
  CT_PAYLOAD_TOO_LARGE: { retryable: false, status: 413 },
  CT_RATE_LIMITED: { retryable: true, status: 429 },
  // A monthly quota is not worth retrying within seconds (the clients would wait out Retry-After, up to weeks).
  CT_QUOTA_EXCEEDED: { retryable: false, status: 403 },
  CT_API_REJECTED: { retryable: false, status: 502 },
  CT_API_UNREACHABLE: { retryable: true, status: 502 },
  CT_API_SERVER_ERROR: { retryable: true, status: 502 },
  CT_TIMEOUT: { retryable: true, status: 504 },
  CT_ABORTED: { retryable: false, status: 499 },
  CT_ROUTE_UNKNOWN: { retryable: false, status: 500 },
  CT_SINK_FAILED: { retryable: true, status: 502 },
  CT_STATE_CORRUPT: { retryable: false, status: 500 },
  CT_STATE_WRITE_FAILED: { retryable: true, status: 503 },
  CT_QUEUE_FULL: { retryable: true, status: 503 },
  CT_UNAVAILABLE: { retryable: true, status: 503 },
  CT_INTERNAL: { retryable: false, status: 500 },
};

export interface ClawTellErrorOptions {
  readonly cause?: unknown;
  /** HTTP status of a remote answer, when the error came from one. */
  readonly status?: number;
  /** How long the remote side asked us to wait before trying again. */
  readonly retryAfterMs?: number;
  /** The config path or request field the error is about, e.g. `channels.clawtell.routing.alice.agent`. */
  readonly field?: string;
  /** Overrides the code's default retry policy (e.g. a sink that knows better). */
  readonly retryable?: boolean;
}

export class ClawTellError extends Error {
  readonly code: ErrorCode;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly field: string | undefined;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: ClawTellErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ClawTellError";
    this.code = code;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.field = options.field;
    this.retryable = options.retryable ?? POLICY[code].retryable;
  }

  /** The HTTP status the embedded server uses for this error. */
  get httpStatus(): number {
    return POLICY[this.code].status;
  }
}

export function isClawTellError(value: unknown): value is ClawTellError {
  return value instanceof ClawTellError;
}

/** Whether trying again may help; unknown errors (bugs, I/O) are treated as retryable so nothing is dropped. */
export function isRetryable(err: unknown): boolean {
  return isClawTellError(err) ? err.retryable : true;
}

/** A short text for logs and alerts, never including secrets. */
export function describeError(err: unknown): { code: string; message: string } {
  if (isClawTellError(err)) return { code: err.code, message: err.message };
  if (err instanceof Error) return { code: "CT_INTERNAL", message: err.message };
  return { code: "CT_INTERNAL", message: String(err) };
}
