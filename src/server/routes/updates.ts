/**
 * `/api/updates`: the SDKs' update check and version registration. The embedded server tracks no SDK releases, so it
 * always answers "no updates", in the shapes the SDKs read.
 */

import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ServerContext } from "../context.js";
import { parseInput } from "../http-errors.js";

const RegisterBodySchema = z.object({
  sdk: z.string().min(1).max(40).optional(),
  sdkVersion: z.string().max(100).optional(),
  notifyOnUpdates: z.boolean().optional(),
});

/** Latest versions are unknown to a self-hosted server. */
const LATEST_VERSIONS = { python: null, javascript: null, skill: null } as const;

export function updateRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { auth } = ctx;

  app.get("/api/updates", async (request) => {
    await auth.authenticate(request);
    return { hasUpdates: false, updates: [], latestVersions: LATEST_VERSIONS };
  });

  app.post("/api/updates", async (request) => {
    const caller = await auth.authenticate(request);
    parseInput(RegisterBodySchema, request.body, "body");
    return {
      registered: true,
      agent: caller.name.name,
      hasUpdates: false,
      updates: [],
      message: "This self-hosted server does not track SDK releases; no update notifications will be sent.",
    };
  });
}
