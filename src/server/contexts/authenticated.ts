/**
 * The authenticated context: every route that needs an API key or a dashboard session. One `onRequest` hook
 * authenticates the key or the session cookie (with its CSRF token on state-changing requests) once, before the body
 * is read (only a valid caller makes the server take in a large upload), and sets `request.caller`; the routes read
 * it with `callerOf` (a name) or `sessionOf` (a session's account). Requests are then rate limited per key or
 * session. Each route is documented with both schemes.
 */

import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { ClawTellError } from "../../infra/index.js";
import type { Authenticator } from "../auth.js";
import type { ServerContext } from "../context.js";
import { AUTHENTICATED_SECURITY } from "../openapi.js";
import { limitRequests, type ContextRateLimit } from "../rate-limits.js";
import { approvalRoutes } from "../routes/approvals.js";
import { dashboardApiRoutes } from "../routes/dashboard-api.js";
import { fileRoutes } from "../routes/files.js";
import { keyRoutes } from "../routes/keys.js";
import { listRoutes } from "../routes/lists.js";
import { messageRoutes } from "../routes/messages.js";
import { nameRoutes } from "../routes/names.js";
import { outboxRoutes } from "../routes/outbox.js";
import { receiptRoutes } from "../routes/receipts.js";
import { profileRoutes } from "../routes/profiles.js";
import { renewalRoutes } from "../routes/renewal.js";
import { sessionRoutes } from "../routes/sessions.js";
import { streamRoutes } from "../routes/stream.js";
import { updateRoutes } from "../routes/updates.js";
import { webhookRoutes } from "../routes/webhooks.js";
import "./caller.js";
import { documentRoute } from "./schemas.js";

export function authenticatedContext(ctx: ServerContext, authenticator: Authenticator, limits: ContextRateLimit): FastifyPluginAsync {
  return async (scope) => {
    scope.decorateRequest("caller", null);
    scope.addHook("onRoute", documentRoute(AUTHENTICATED_SECURITY));
    scope.addHook("onRequest", (request, _reply, done) => {
      authenticator.authenticate(request).then(
        (caller) => {
          request.caller = caller;
          done();
        },
        (err: unknown) => done(err instanceof Error ? err : new ClawTellError("CT_INTERNAL", String(err))),
      );
    });
    // Counted per key, after the key is known (the limiter's hooks run after the context's own).
    await limitRequests(scope, limits);
    const app = scope.withTypeProvider<ZodTypeProvider>();
    messageRoutes(app, ctx);
    streamRoutes(app, ctx);
    nameRoutes(app, ctx);
    listRoutes(app, ctx);
    updateRoutes(app, ctx);
    renewalRoutes(app, ctx);
    fileRoutes(app, ctx);
    keyRoutes(app, ctx);
    approvalRoutes(app, ctx);
    sessionRoutes(app, ctx);
    receiptRoutes(app, ctx);
    outboxRoutes(app, ctx);
    webhookRoutes(app, ctx);
    profileRoutes(app, ctx);
    dashboardApiRoutes(app, ctx);
  };
}
