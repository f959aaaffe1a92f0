/**
 * The public context: what answers without a key (health, name lookup, the directory, signed downloads, the guides
 * for agents, the API document), rate limited per caller address.
 */

import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { ServerContext } from "../context.js";
import { openApiRoutes } from "../openapi.js";
import { limitRequests, type ContextRateLimit } from "../rate-limits.js";
import { publicFileRoutes } from "../routes/files.js";
import { guideRoutes } from "../routes/guides.js";
import { healthRoutes } from "../routes/health.js";
import { publicNameRoutes } from "../routes/names.js";
import { publicProfileRoutes } from "../routes/profiles.js";
import { documentRoute } from "./schemas.js";

export function publicContext(ctx: ServerContext, limits: ContextRateLimit): FastifyPluginAsync {
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
  };
}
