/**
 * `/api/updates`: the SDKs' update check and version registration. The embedded server tracks no SDK releases, so it
 * always answers "no updates", in the shapes the SDKs read.
 */

import { z } from "zod";
import type { ServerContext } from "../context.js";
import { callerOf } from "../contexts/caller.js";
import type { ZodApp } from "../contexts/schemas.js";

const RegisterBodySchema = z.object({
  sdk: z.string().min(1).max(40).optional(),
  sdkVersion: z.string().max(100).optional(),
  notifyOnUpdates: z.boolean().optional(),
});

/** Latest versions are unknown to a self-hosted server. */
const LATEST_VERSIONS = { python: null, javascript: null, skill: null } as const;

const VersionsSchema = z.object({ python: z.string().nullable(), javascript: z.string().nullable(), skill: z.string().nullable() });
const CheckResponseSchema = z.object({ hasUpdates: z.boolean(), updates: z.array(z.unknown()), latestVersions: VersionsSchema });
const RegisterResponseSchema = z.object({
  registered: z.boolean(),
  agent: z.string(),
  hasUpdates: z.boolean(),
  updates: z.array(z.unknown()),
  message: z.string(),
});

export function updateRoutes(app: ZodApp, _ctx: ServerContext): void {
  app.get("/api/updates", { schema: { summary: "SDK and skill updates (none tracked here)", response: { 200: CheckResponseSchema } } }, async () => ({
    hasUpdates: false,
    updates: [],
    latestVersions: LATEST_VERSIONS,
  }));

  app.post(
    "/api/updates",
    { schema: { summary: "Register the SDK version an agent runs", body: RegisterBodySchema, response: { 200: RegisterResponseSchema } } },
    async (request) => ({
      registered: true,
      agent: callerOf(request).name.name,
      hasUpdates: false,
      updates: [],
      message: "This self-hosted server does not track SDK releases; no update notifications will be sent.",
    }),
  );
}
