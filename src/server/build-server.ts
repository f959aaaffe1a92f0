/**
 * `buildServer(deps)`: the embedded ClawTell server as a fastify instance, not yet listening. REST (`/api`) and
 * streaming (`/v1`) share one origin, so clients can use one URL for both.
 */

import fastify, { type FastifyInstance } from "fastify";
import { ClawTellError, createSilentLogger, systemClock, type Clock, type Logger } from "../infra/index.js";
import { createKeyVerifier } from "./api-keys.js";
import { createAuthenticator } from "./auth.js";
import { createKeyHasher } from "./key-hasher.js";
import { BODY_LIMIT_BYTES, type ServerContext, type ServerOptions } from "./context.js";
import type { FileStore } from "./files.js";
import { answerFrameworkError, installErrorHandler } from "./http-errors.js";
import { createMailbox } from "./mailbox.js";
import { createNameDirectory } from "./name-directory.js";
import type { Notifier } from "./notifier.js";
import { createInProcessNotifier } from "./notify/in-process.js";
import { createJsonBodyParser } from "./json-body.js";
import { answerClientError, announcesTooLarge, refuseTooLarge } from "./refused-requests.js";
import { createLinkSigner } from "./signed-links.js";
import { startRetention } from "./retention.js";
import { fileRoutes } from "./routes/files.js";
import { listRoutes } from "./routes/lists.js";
import { messageRoutes } from "./routes/messages.js";
import { nameRoutes } from "./routes/names.js";
import { streamRoutes } from "./routes/stream.js";
import { renewalRoutes } from "./routes/renewal.js";
import { updateRoutes } from "./routes/updates.js";
import type { Storage } from "./store/index.js";

export interface ServerDeps {
  /** Where names and messages are kept; the caller closes it after the server. */
  storage: Storage;
  /** Where attachment bytes are kept (files.ts). */
  files: FileStore;
  logger?: Logger;
  clock?: Clock;
  options?: ServerOptions;
  /** Wake-ups for idle polls and streams; across processes, Redis or PostgreSQL (see notifier.ts). The caller closes
   * one it passes; without one the server makes an in-process notifier. */
  notifier?: Notifier;
}

export { BODY_LIMIT_BYTES };

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const logger = deps.logger ?? createSilentLogger();
  const clock = deps.clock ?? systemClock;
  const options = deps.options ?? {};
  const notifier = deps.notifier ?? createInProcessNotifier();
  const hasher = createKeyHasher();
  const { directory, messages } = deps.storage;
  const ctx: ServerContext = {
    directory,
    messages,
    notifier,
    mailbox: createMailbox({
      messages,
      notifier,
      clock,
      visibilityTimeoutMs: options.visibilityTimeoutMs ?? 60_000,
    }),
    auth: createAuthenticator(
      directory,
      createKeyVerifier(directory, { now: () => clock.now(), compare: (key, hash) => hasher.compare(key, hash) }),
      () => clock.now(),
    ),
    names: createNameDirectory(directory, () => clock.now()),
    clock,
    logger,
    keepaliveMs: options.keepaliveMs ?? 15_000,
    files: deps.files,
    links: createLinkSigner(),
    fileLinkTtlMs: options.fileLinkTtlMs ?? 300_000,
  };

  const app = fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    logger: false,
    forceCloseConnections: true,
    frameworkErrors: (error, _request, reply) => answerFrameworkError(error, reply),
    clientErrorHandler: answerClientError,
  });

  // Clients send `Content-Type: application/json` on every request, also without a body: an empty body is no body.
  // Depth and size are bounded before parsing; lone surrogates become U+FFFD; bodies larger than the global limit
  // (a send's attachments) are parsed in a worker thread, off the event loop (json-body.ts).
  const jsonBodies = createJsonBodyParser();
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_request, body, done) => {
    jsonBodies.parse(typeof body === "string" ? Buffer.from(body) : body).then(
      (value) => done(null, value),
      (err: unknown) => done(err instanceof Error ? err : new ClawTellError("CT_BAD_REQUEST", "body: malformed JSON", { field: "body" }), undefined),
    );
  });
  // A body announced larger than the call accepts is refused before anything else (auth included) reads it.
  app.addHook("onRequest", async (request, reply) => {
    const limit = request.routeOptions.bodyLimit ?? BODY_LIMIT_BYTES;
    if (announcesTooLarge(request, limit)) {
      refuseTooLarge(request, reply, limit);
      return reply;
    }
    return undefined;
  });

  installErrorHandler(app, logger);
  app.get("/health", async () => ({ ok: true, waiting: notifier.waiting() }));
  messageRoutes(app, ctx);
  streamRoutes(app, ctx);
  nameRoutes(app, ctx);
  listRoutes(app, ctx);
  updateRoutes(app, ctx);
  renewalRoutes(app, ctx);
  fileRoutes(app, ctx);

  const retention = startRetention({
    messages,
    files: deps.files,
    clock,
    logger,
    intervalMs: options.retentionIntervalMs ?? 300_000,
  });
  app.addHook("onClose", async () => {
    // A purge under way finishes before the caller closes the storage under it.
    await retention.stop();
    await Promise.all([hasher.close(), jsonBodies.close(), deps.notifier === undefined ? notifier.close() : undefined]);
  });
  return app;
}
