/**
 * The public context: what answers without a key (health, name lookup, the directory, signed downloads, the guides
 * for agents, the API document, registration and sign-in links), rate limited per caller address. Asking for a
 * registration or a sign-in link is limited more strictly, per address, in a scope of its own; the sign-in
 * confirmation takes form posts.
 */

import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { ServerContext } from "../context.js";
import { openApiRoutes } from "../openapi.js";
import { limitRequests, type ContextRateLimit } from "../rate-limits.js";
import { dashboardRoutes } from "../routes/dashboard.js";
import { publicFileRoutes } from "../routes/files.js";
import { guideRoutes } from "../routes/guides.js";
import { healthRoutes } from "../routes/health.js";
import { publicNameRoutes } from "../routes/names.js";
import { registrationRequestRoutes, registrationRoutes } from "../routes/registration.js";
import { magicLinkRoutes, signInRoutes } from "../routes/sessions.js";
import { publicProfileRoutes } from "../routes/profiles.js";
import { documentRoute } from "./schemas.js";

export function publicContext(ctx: ServerContext, limits: ContextRateLimit, signupLimits: ContextRateLimit): FastifyPluginAsync {
  return async (scope) => {
    scope.addHook("onRoute", documentRoute());
    await limitRequests(scope, limits);
    const app = scope.withTypeProvider<ZodTypeProvider>();
    healthRoutes(app, ctx);
    publicNameRoutes(app, ctx);
    publicFileRoutes(app, ctx);
    publicProfileRoutes(app, ctx);
    guideRoutes(app, ctx);
    openApiRoutes(app);
    registrationRoutes(app, ctx);
    dashboardRoutes(app, ctx);
    await scope.register(async (signup) => {
      await limitRequests(signup, signupLimits);
      const limited = signup.withTypeProvider<ZodTypeProvider>();
      registrationRequestRoutes(limited, ctx);
      magicLinkRoutes(limited, ctx);
    });
    await scope.register(async (signIn) => {
      // The sign-in page's button posts a form.
      signIn.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(typeof body === "string" ? body : body.toString("utf8"))));
      });
      signInRoutes(signIn.withTypeProvider<ZodTypeProvider>(), ctx);
    });
  };
}
