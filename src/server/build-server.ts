/**
 * `buildServer(deps)`: the embedded ClawTell server as a fastify instance, not yet listening. REST (`/api`) and
 * streaming (`/v1`) share one origin, so clients can use one URL for both.
 */

import fastify, { type FastifyInstance } from "fastify";
import { ClawTellError, createSilentLogger, systemClock, type Clock, type Logger } from "../infra/index.js";
import { createKeyVerifier } from "./api-keys.js";
import { createAccountNames, createAuthenticator } from "./auth.js";
import { createKeyHasher } from "./key-hasher.js";
import { BODY_LIMIT_BYTES, type ServerContext, type ServerOptions } from "./context.js";
import { authenticatedContext } from "./contexts/authenticated.js";
import { publicContext } from "./contexts/public.js";
import { jsonSerializerCompiler, zodValidatorCompiler } from "./contexts/schemas.js";
import type { FileStore } from "./files.js";
import { answerFrameworkError, installErrorHandler } from "./http-errors.js";
import { createMailbox } from "./mailbox.js";
import { instrumentMessageStore } from "./instrumented-messages.js";
import { createServerMetrics } from "./metrics.js";
import { createNameDirectory } from "./name-directory.js";
import type { Notifier } from "./notifier.js";
import { createProfiles } from "./profiles.js";
import { createInProcessNotifier } from "./notify/in-process.js";
import { createJsonBodyParser } from "./json-body.js";
import { answerClientError, announcesTooLarge, refuseTooLarge } from "./refused-requests.js";
import { registerOpenApi } from "./openapi.js";
import {
  byAddress,
  byKey,
  DEFAULT_KEY_RATE_LIMIT,
  DEFAULT_PUBLIC_RATE_LIMIT,
  resolveRateLimit,
  type RedisRateLimitStore,
} from "./rate-limits.js";
import { createLinkSigner } from "./signed-links.js";
import { startRetention } from "./retention.js";
import { operationRoutes } from "./routes/operations.js";
import type { Storage } from "./store/index.js";

export interface ServerDeps {
  /** Where names and messages are kept; the caller closes it after the server. */
  storage: Storage;
  /** Where attachment bytes are kept (files.ts). */
  files: FileStore;
  logger?: Logger;
  clock?: Clock;
  options?: ServerOptions;
  /** Where rate-limit counters are kept so that several processes share them; in this process when absent. */
  rateLimitStore?: RedisRateLimitStore;
  /** Wake-ups for idle polls and streams; across processes, Redis or PostgreSQL (see notifier.ts). The caller closes
   * one it passes; without one the server makes an in-process notifier. */
  notifier?: Notifier;
  /** Key of the signed download links; processes serving the same accounts share one. Random per process if absent. */
  linkSecret?: Uint8Array;
}

export { BODY_LIMIT_BYTES };

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const logger = deps.logger ?? createSilentLogger();
  const clock = deps.clock ?? systemClock;
  const options = deps.options ?? {};
  const notifier = deps.notifier ?? createInProcessNotifier();
  const hasher = createKeyHasher();
  const metrics = options.metrics === false ? undefined : createServerMetrics();
  const { directory } = deps.storage;
  const messages = metrics === undefined ? deps.storage.messages : instrumentMessageStore(deps.storage.messages, metrics);
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
    accounts: createAccountNames(directory, () => clock.now()),
    names: createNameDirectory(directory, () => clock.now()),
    clock,
    logger,
    keepaliveMs: options.keepaliveMs ?? 15_000,
    files: deps.files,
    links: createLinkSigner(deps.linkSecret),
    fileLinkTtlMs: options.fileLinkTtlMs ?? 300_000,
    profiles: createProfiles(deps.storage.profiles, clock),
  };

  const authenticator = createAuthenticator(
    createKeyVerifier(directory, { now: () => clock.now(), compare: (key, hash) => hasher.compare(key, hash) }),
  );

  const app = fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    logger: false,
    forceCloseConnections: true,
    frameworkErrors: (error, _request, reply) => answerFrameworkError(error, reply),
    clientErrorHandler: answerClientError,
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
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
  // Request parts are validated by their routes' zod schemas; answers are plain JSON (contexts/schemas.ts).
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(jsonSerializerCompiler);
  await registerOpenApi(app);
  // Before the contexts, outside auth and rate limits; it times every route registered after it.
  operationRoutes(app, { storage: deps.storage, notifier, metrics, clock, logger });

  // Routes live in contexts, each with its own hooks: public (no key) and authenticated (one hook checks the API key
  // and sets `request.caller`). A session-authenticated context for the dashboard (cookie + CSRF) goes beside them.
  // Every route belongs to a context; rate limits count per caller address (public) or per key (authenticated).
  const store = deps.rateLimitStore;
  const perAddress = { limit: resolveRateLimit(options.publicRateLimit, DEFAULT_PUBLIC_RATE_LIMIT), counter: byAddress, scope: "public", store };
  const perKey = { limit: resolveRateLimit(options.keyRateLimit, DEFAULT_KEY_RATE_LIMIT), counter: byKey, scope: "key", store };
  await app.register(publicContext(ctx, perAddress));
  await app.register(authenticatedContext(ctx, authenticator, perKey));

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
