/**
 * The authenticated context: every route that needs an API key. One `onRequest` hook authenticates the key once,
 * before the body is read (only a valid key makes the server take in a large upload), and sets `request.caller`;
 * the routes read it with `callerOf`. Requests are then rate limited per key. Each route is documented with the
 * bearer scheme.
 */

import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { ClawTellError } from "../../infra/index.js";
import type { Authenticator } from "../auth.js";
import type { ServerContext } from "../context.js";
import { BEARER_SECURITY } from "../openapi.js";
import { limitRequests, type ContextRateLimit } from "../rate-limits.js";
import { fileRoutes } from "../routes/files.js";
import { keyRoutes } from "../routes/keys.js";
import { listRoutes } from "../routes/lists.js";
import { messageRoutes } from "../routes/messages.js";
import { nameRoutes } from "../routes/names.js";
import { profileRoutes } from "../routes/profiles.js";
import { renewalRoutes } from "../routes/renewal.js";
import { streamRoutes } from "../routes/stream.js";
import { updateRoutes } from "../routes/updates.js";
import "./caller.js";
import { documentRoute } from "./schemas.js";

export function authenticatedContext(ctx: ServerContext, authenticator: Authenticator, limits: ContextRateLimit): FastifyPluginAsync {
  return async (scope) => {
    scope.decorateRequest("caller", null);
    scope.addHook("onRoute", documentRoute(BEARER_SECURITY));
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
    profileRoutes(app, ctx);
  };
}
