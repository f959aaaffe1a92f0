/**
 * Failures of the database connection become CT_UNAVAILABLE (answered 503, retryable); everything else passes through.
 * The pool drops a broken connection and opens a new one on the next query, so service resumes by itself once the
 * database is back.
 */

import { ClawTellError } from "../../../infra/index.js";

/** SQLSTATE classes and codes that mean "the database cannot serve now", not "this statement is wrong". */
const UNAVAILABLE_STATES = /^(08|53|57P0[1-4]|58)/;
const UNAVAILABLE_ERRNOS = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Cannot use a pool after calling end|Client has encountered a connection error|Connection ended/i;

export function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = "code" in err && typeof err.code === "string" ? err.code : "";
  if (UNAVAILABLE_ERRNOS.has(code) || UNAVAILABLE_STATES.test(code)) return true;
  if (err instanceof AggregateError && err.errors.some(isConnectionFailure)) return true;
  return UNAVAILABLE_MESSAGES.test(err.message);
}

/** The error to answer for a failed database call. */
export function storeError(err: unknown): unknown {
  if (err instanceof ClawTellError || !isConnectionFailure(err)) return err;
  return new ClawTellError("CT_UNAVAILABLE", "the database cannot be reached; try again shortly", { cause: err });
}

/** The SQLSTATE of a database error, if it is one. */
export function sqlState(err: unknown): string | undefined {
  return err instanceof Error && "code" in err && typeof err.code === "string" ? err.code : undefined;
}
