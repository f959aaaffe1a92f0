/**
 * Typed calls to the server on the same origin. The session cookie goes along by itself; state-changing calls carry
 * the session's CSRF token, and calls for one name carry `X-ClawTell-Name`. Answers are parsed with the protocol's
 * schemas; an error answer becomes an {@link ApiError} with the field it names, so a form can show it beside it.
 */

import type { ZodType } from "zod";
import { ErrorBodySchema } from "../protocol/api.js";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  /** The request field the server named (`name`, `webhook_url`, …), if any. */
  readonly field: string | undefined;

  constructor(status: number, message: string, code?: string, field?: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export interface CallOptions {
  readonly method?: "GET" | "POST" | "PATCH" | "DELETE";
  readonly body?: unknown;
  /** The account's name the call acts for. */
  readonly name?: string;
}

let csrfToken = "";

/** Set once the session is known (`GET /api/auth/session`). */
export function useCsrfToken(token: string): void {
  csrfToken = token;
}

/** Strips the server's `field: ` prefix from an error text when the field is shown separately. */
function messageFor(error: string, field: string | undefined): string {
  if (field !== undefined && error.startsWith(`${field}: `)) return error.slice(field.length + 2);
  return error;
}

export async function call<T>(schema: ZodType<T>, path: string, options: CallOptions = {}): Promise<T> {
  const method = options.method ?? "GET";
  const headers: Record<string, string> = { accept: "application/json" };
  if (method !== "GET") headers["x-csrf-token"] = csrfToken;
  if (options.name !== undefined) headers["x-clawtell-name"] = options.name;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  } catch {
    throw new ApiError(0, "The server cannot be reached; try again.");
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const parsed = ErrorBodySchema.safeParse(json);
    if (!parsed.success) throw new ApiError(response.status, `The server answered ${response.status}.`);
    const { error, code, field } = parsed.data;
    throw new ApiError(response.status, messageFor(error, field), code, field);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ApiError(response.status, `The server's answer to ${path} was not understood.`);
  return parsed.data;
}

/** The text to show for any error of a call. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
