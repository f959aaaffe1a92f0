/**
 * How the server answers failures: always JSON `{ error, code, statusCode, field?, retry_after? }` (`error` is what
 * every client reads). Bad input is a 400 naming the field, never a 5xx.
 */

import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import type { ZodError } from "zod";
import { ClawTellError, type Logger } from "../infra/index.js";
import { BODY_LIMIT_BYTES } from "./context.js";
import { refuseTooLarge } from "./refused-requests.js";

/**
 * Fields of a request body that are the message itself: longer than allowed, they make the payload too large (413
 * CT_PAYLOAD_TOO_LARGE, as a request body over its byte limit does) rather than malformed. Other bad fields are 400s.
 */
const PAYLOAD_FIELDS: ReadonlySet<string> = new Set(["body"]);

/** CT_BAD_REQUEST naming the first offending field (`where` when the whole part is wrong). */
export function fromZodError(err: ZodError, where: string): ClawTellError {
  const issue = err.issues[0];
  // An unknown key is named itself, not the object that holds it.
  const path = issue === undefined ? [] : issue.code === "unrecognized_keys" ? [...issue.path, ...issue.keys.slice(0, 1)] : issue.path;
  const field = path.length === 0 ? where : path.map(String).join(".");
  const text = issue === undefined ? "invalid input" : issue.code === "unrecognized_keys" ? "is not a field of this request" : issue.message;
  const tooLarge = where === "body" && issue?.code === "too_big" && PAYLOAD_FIELDS.has(field);
  return new ClawTellError(tooLarge ? "CT_PAYLOAD_TOO_LARGE" : "CT_BAD_REQUEST", `${field}: ${text}`, { field, cause: err });
}

/**
 * Requests fastify refuses before routing (undecodable URL, over-long path parameter): answered in our error shape,
 * as a 400 naming the URL.
 */
export function answerFrameworkError(error: FastifyError, reply: FastifyReply): void {
  const status = typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  void reply.status(status).send({ statusCode: status, code: "CT_BAD_REQUEST", error: `url: ${error.message}`, field: "url" });
}

export function installErrorHandler(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((err: FastifyError | ClawTellError | Error, request, reply) => {
    // A body that grew past the limit while it streamed in (no Content-Length): answered so the client can read it.
    if ("code" in err && err.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      refuseTooLarge(request, reply, request.routeOptions.bodyLimit ?? BODY_LIMIT_BYTES);
      return reply;
    }
    if (err instanceof ClawTellError) {
      const status = err.httpStatus;
      if (status >= 500) logger.error({ err }, "request failed");
      // Seconds to wait, as an integer: in `Retry-After` (what the clients read) and as `retry_after` in the body.
      const retryAfter = err.retryAfterMs === undefined ? undefined : Math.ceil(err.retryAfterMs / 1000);
      if (retryAfter !== undefined) void reply.header("retry-after", retryAfter);
      return reply.status(status).send({
        statusCode: status,
        code: err.code,
        error: err.message,
        ...(err.field === undefined ? {} : { field: err.field }),
        ...(retryAfter === undefined ? {} : { retry_after: retryAfter }),
      });
    }
    const status = "statusCode" in err && typeof err.statusCode === "number" ? err.statusCode : 500;
    if (status >= 500) {
      logger.error({ err }, "unexpected server error");
      return reply.status(500).send({ statusCode: 500, code: "CT_INTERNAL", error: "Internal server error" });
    }
    const code = status === 413 ? "CT_PAYLOAD_TOO_LARGE" : "CT_BAD_REQUEST";
    const error = status === 415 ? "body: send JSON with Content-Type: application/json" : err.message;
    return reply.status(status).send({ statusCode: status, code, error, field: "body" });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ statusCode: 404, code: "CT_NOT_FOUND", error: `No route ${request.method} ${request.url.split("?")[0] ?? ""}` }),
  );
}
