/**
 * `buildServer(deps)`: the embedded ClawTell server as a fastify instance, not yet listening. REST (`/api`) and
 * streaming (`/v1`) share one origin, so clients can use one URL for both.
 */

import fastify, { type FastifyInstance } from "fastify";
import type { Dispatcher } from "undici";
import { ClawTellError, createSilentLogger, systemClock, type Clock, type Logger } from "../infra/index.js";
import { createKeyVerifier } from "./api-keys.js";
import { createApprovalApplier } from "./approval-applier.js";
import { APPROVAL_TTL_MS } from "./approvals.js";
import { createAccountNames, createAuthenticator } from "./auth.js";
import { createKeyHasher } from "./key-hasher.js";
import { BODY_LIMIT_BYTES, type ServerContext, type ServerOptions } from "./context.js";
import { authenticatedContext } from "./contexts/authenticated.js";
import { publicContext } from "./contexts/public.js";
import { jsonSerializerCompiler, zodValidatorCompiler } from "./contexts/schemas.js";
import type { FileStore } from "./files.js";
import { defaultDashboardDir, loadDashboardFiles } from "./dashboard-files.js";
import { answerFrameworkError, installErrorHandler } from "./http-errors.js";
import { createIdempotentSends } from "./idempotency.js";
import { createMailbox } from "./mailbox.js";
import { createGuardedDispatcher } from "./outbound/index.js";
import { ATTACHMENT_FETCH_TIMEOUT_MS } from "./attachment-intake.js";
import { createBlockedSends } from "./receipts.js";
import { startRecordRetention } from "./record-retention.js";
import { startWebhookDispatcher, WEBHOOK_TIMEOUT_MS } from "./webhooks/index.js";
import { instrumentMessageStore } from "./instrumented-messages.js";
import { createServerMetrics } from "./metrics.js";
import { createNameDirectory } from "./name-directory.js";
import type { Notifier } from "./notifier.js";
import { createProfiles } from "./profiles.js";
import { createInProcessNotifier } from "./notify/in-process.js";
import { createJsonBodyParser, parseJsonBody } from "./json-body.js";
import { answerClientError, announcesTooLarge, refuseTooLarge } from "./refused-requests.js";
import { registerOpenApi } from "./openapi.js";
import { createMessageQuota } from "./quota.js";
import {
  byAddress,
  byKey,
  DEFAULT_KEY_RATE_LIMIT,
  DEFAULT_PUBLIC_RATE_LIMIT,
  resolveRateLimit,
  type RedisRateLimitStore,
} from "./rate-limits.js";
import type { MailTransport } from "./mailer.js";
import { createLinkSigner } from "./signed-links.js";
import { createSignup, DEFAULT_SIGNUP_RATE_LIMIT } from "./signup.js";
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
  /** Delivers the server's mail instead of `options.signup.smtpUrl` (mailer.ts). */
  mailTransport?: MailTransport;
  /**
   * The connection pool of the server's outgoing requests (webhooks, attachment URLs). Without one, the server makes a guarded pool
   * (outbound/: no private addresses unless `options.allowPrivateWebhooks`) and closes it with itself.
   */
  outbound?: Dispatcher;
  /** Jitter of webhook retries, in [0, 1). @defaultValue Math.random */
  random?: () => number;
}

export { BODY_LIMIT_BYTES };

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const logger = deps.logger ?? createSilentLogger();
  const clock = deps.clock ?? systemClock;
  const options = deps.options ?? {};
  const notifier = deps.notifier ?? createInProcessNotifier(clock);
  const hasher = createKeyHasher();
  const metrics = options.metrics === false ? undefined : createServerMetrics();
  const { directory } = deps.storage;
  const messages = metrics === undefined ? deps.storage.messages : instrumentMessageStore(deps.storage.messages, metrics);
  const mailbox = createMailbox({ messages, notifier, clock, visibilityTimeoutMs: options.visibilityTimeoutMs ?? 60_000 });
  const { approvals } = deps.storage;
  const approvalApplier = createApprovalApplier({
    approvals,
    directory,
    messages,
    mailbox,
    files: deps.files,
    receipts: deps.storage.receipts,
    clock,
    logger,
    ...(options.approvalPollMs === undefined ? {} : { pollMs: options.approvalPollMs }),
  });
  const signup = createSignup({
    storage: deps.storage,
    clock,
    logger,
    options: options.signup ?? {},
    bcryptCost: options.bcryptCost,
    transport: deps.mailTransport,
    server: () => app.server,
  });
  const outbound = deps.outbound ?? createGuardedDispatcher({ allowPrivate: options.allowPrivateWebhooks === true });
  const ctx: ServerContext = {
    directory,
    messages,
    notifier,
    mailbox,
    accounts: createAccountNames(directory, () => clock.now()),
    names: createNameDirectory(directory, () => clock.now()),
    clock,
    logger,
    keepaliveMs: options.keepaliveMs ?? 15_000,
    files: deps.files,
    outbound,
    attachmentFetchTimeoutMs: options.attachmentFetchTimeoutMs ?? ATTACHMENT_FETCH_TIMEOUT_MS,
    webhookTimeoutMs: options.webhookTimeoutMs ?? WEBHOOK_TIMEOUT_MS,
    links: createLinkSigner(deps.linkSecret),
    fileLinkTtlMs: options.fileLinkTtlMs ?? 300_000,
    approvals,
    approvalApplier,
    approvalTtlMs: options.approvalTtlMs ?? APPROVAL_TTL_MS,
    quota: createMessageQuota({ quotas: deps.storage.quotas, clock, monthlyQuota: options.monthlyQuota }),
    signup,
    webhooks: deps.storage.webhooks,
    receipts: deps.storage.receipts,
    blockedSends: createBlockedSends(deps.storage.receipts, clock),
    idempotentSends: createIdempotentSends(deps.storage.idempotency, clock),
    profiles: createProfiles(deps.storage.profiles, clock),
    dashboard: await loadDashboardFiles(options.dashboardDir ?? defaultDashboardDir()),
  };

  const authenticator = createAuthenticator(
    createKeyVerifier(directory, { now: () => clock.now(), compare: (key, hash) => hasher.compare(key, hash) }),
    { sessions: signup.sessions, directory },
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
  const jsonBodies = createJsonBodyParser({ clock });
  app.removeContentTypeParser("application/json");
  const malformed = (err: unknown): Error => (err instanceof Error ? err : new ClawTellError("CT_BAD_REQUEST", "body: malformed JSON", { field: "body" }));
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_request, body, done) => {
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    // The usual small body is read at once, without a promise and a turn of its own.
    if (jsonBodies.readsInline(bytes)) {
      let value: unknown;
      try {
        value = parseJsonBody(bytes.toString("utf8"));
      } catch (err) {
        done(malformed(err), undefined);
        return;
      }
      done(null, value);
      return;
    }
    jsonBodies.parse(bytes).then(
      (value) => done(null, value),
      (err: unknown) => done(malformed(err), undefined),
    );
  });
  // A body announced larger than the call accepts is refused before anything else (auth included) reads it.
  // (A callback hook: an async one costs every request a promise.) A body within the smallest limit of any route
  // passes without asking for the route's options, which fastify builds anew, as an object, on every access.
  let smallestLimit = BODY_LIMIT_BYTES;
  app.addHook("onRoute", (route) => {
    if (route.bodyLimit !== undefined) smallestLimit = Math.min(smallestLimit, route.bodyLimit);
  });
  app.addHook("onRequest", (request, reply, done) => {
    if (!announcesTooLarge(request, smallestLimit)) {
      done();
      return;
    }
    const limit = request.routeOptions.bodyLimit ?? BODY_LIMIT_BYTES;
    if (announcesTooLarge(request, limit)) {
      refuseTooLarge(request, reply, limit);
      return;
    }
    done();
  });

  installErrorHandler(app, logger);
  // Request parts are validated by their routes' zod schemas; answers are plain JSON (contexts/schemas.ts).
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(jsonSerializerCompiler);
  await registerOpenApi(app);
  // Before the contexts, outside auth and rate limits; it times every route registered after it.
  operationRoutes(app, { storage: deps.storage, notifier, metrics, clock, logger });

  // Routes live in contexts, each with its own hooks: public (no key) and authenticated (one hook checks the API key
  // or the dashboard session cookie, with its CSRF token, and sets `request.caller`). Every route belongs to a
  // context; rate limits count per caller address (public; registration and sign-in links more strictly) or per key
  // or session (authenticated).
  const store = deps.rateLimitStore;
  const perAddress = { limit: resolveRateLimit(options.publicRateLimit, DEFAULT_PUBLIC_RATE_LIMIT), counter: byAddress, scope: "public", store };
  const perKey = { limit: resolveRateLimit(options.keyRateLimit, DEFAULT_KEY_RATE_LIMIT), counter: byKey, scope: "key", store };
  const perSignup = { limit: resolveRateLimit(options.signup?.rateLimit, DEFAULT_SIGNUP_RATE_LIMIT), counter: byAddress, scope: "signup", store };
  await app.register(publicContext(ctx, perAddress, perSignup));
  await app.register(authenticatedContext(ctx, authenticator, perKey));

  const retention = startRetention({
    messages,
    approvals,
    files: deps.files,
    clock,
    logger,
    intervalMs: options.retentionIntervalMs ?? 300_000,
  });
  approvalApplier.start();
  const records = startRecordRetention({ ...deps.storage, clock, logger, intervalMs: options.retentionIntervalMs ?? 300_000 });
  const webhooks = startWebhookDispatcher({
    store: deps.storage.webhooks,
    directory,
    messages,
    receipts: deps.storage.receipts,
    dispatcher: outbound,
    clock,
    logger,
    ...(deps.random === undefined ? {} : { random: deps.random }),
    ...(options.webhookTimeoutMs === undefined ? {} : { timeoutMs: options.webhookTimeoutMs }),
  });
  app.addHook("onClose", async () => {
    // Purges, approvals and webhook attempts under way end before the caller closes the storage under them.
    await Promise.all([retention.stop(), approvalApplier.stop(), signup.close(), webhooks.stop(), records.stop()]);
    if (deps.outbound === undefined) await outbound.close();
    await Promise.all([hasher.close(), jsonBodies.close(), deps.notifier === undefined ? notifier.close() : undefined]);
  });
  return app;
}
