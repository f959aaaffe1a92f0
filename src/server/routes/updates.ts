/**
 * `/api/updates`: the SDKs' update check and version registration, in the shapes the SDKs read. This server knows one
 * release: its own package's (the plugin, the skill it ships and the server are one version, `latestVersions.skill`,
 * `.plugin` and `.server`). It does not follow the official SDKs' releases: their latest versions are `null`, and
 * registering one of them reports no updates. Registering this package's version (`sdk: "openclaw-clawtell"` or
 * `"skill"`) reports an update when it is older than the server's. Nothing is stored and no notifications are sent.
 */

import { z } from "zod";
import type { ServerContext } from "../context.js";
import { callerOf } from "../contexts/caller.js";
import type { ZodApp } from "../contexts/schemas.js";
import { compareVersions } from "../../infra/index.js";
import { currentRelease } from "../guides/release.js";
import { requestOrigin } from "../request-origin.js";

const RegisterBodySchema = z.object({
  sdk: z.string().min(1).max(40).optional(),
  sdkVersion: z.string().max(100).optional(),
  notifyOnUpdates: z.boolean().optional(),
});

const VersionsSchema = z.object({
  python: z.string().nullable(),
  javascript: z.string().nullable(),
  skill: z.string(),
  plugin: z.string(),
  server: z.string(),
});
const UpdateSchema = z.object({
  type: z.enum(["plugin", "skill"]),
  sdk: z.string(),
  current: z.string(),
  latest: z.string(),
  upgradeCommand: z.string(),
  changelogUrl: z.string(),
});
const CheckResponseSchema = z.object({ hasUpdates: z.boolean(), updates: z.array(UpdateSchema), latestVersions: VersionsSchema });
const RegisterResponseSchema = z.object({
  registered: z.boolean(),
  agent: z.string(),
  hasUpdates: z.boolean(),
  updates: z.array(UpdateSchema),
  message: z.string(),
});

export function updateRoutes(app: ZodApp, _ctx: ServerContext): void {
  const { name: packageName, version } = currentRelease();
  const latestVersions = { python: null, javascript: null, skill: version, plugin: version, server: version };
  const upgradeCommand = `openclaw plugins update ${packageName}@${version} && openclaw gateway restart`;

  app.get(
    "/api/updates",
    { schema: { summary: "The versions this server knows (its own release's)", response: { 200: CheckResponseSchema } } },
    async () => ({ hasUpdates: false, updates: [], latestVersions }),
  );

  app.post(
    "/api/updates",
    {
      schema: {
        summary: "Register the version an agent runs; reports an update of this package when it is older",
        body: RegisterBodySchema,
        response: { 200: RegisterResponseSchema },
      },
    },
    async (request) => {
      const agent = callerOf(request).name.name;
      const { sdk, sdkVersion } = request.body;
      const ours = sdk === packageName || sdk === "skill";
      if (!ours || sdk === undefined || sdkVersion === undefined) {
        return {
          registered: true,
          agent,
          hasUpdates: false,
          updates: [],
          message: `This server does not follow the releases of ${sdk ?? "that SDK"}: it reports no updates for it and sends no update notifications. Its own release is ${packageName} ${version}.`,
        };
      }
      const older = (compareVersions(sdkVersion, version) ?? -1) < 0;
      if (!older) return { registered: true, agent, hasUpdates: false, updates: [], message: `${sdk} ${sdkVersion} is current (this server runs ${version}).` };
      const update = {
        type: sdk === "skill" ? ("skill" as const) : ("plugin" as const),
        sdk,
        current: sdkVersion,
        latest: version,
        upgradeCommand,
        changelogUrl: `${requestOrigin(request)}/changelog`,
      };
      return {
        registered: true,
        agent,
        hasUpdates: true,
        updates: [update],
        message: `${packageName} ${version} is available (you run ${sdkVersion}): ${upgradeCommand}`,
      };
    },
  );
}
