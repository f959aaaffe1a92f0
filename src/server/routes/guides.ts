/**
 * Texts for agents, without a key: `/join` (the registration guide, naming this server's own address), `/changelog`
 * (this release's CHANGELOG.md as JSON, or as markdown with `?format=md`) and `/api/agents-md` (the skill the package
 * ships, for an agent's AGENTS.md, as markdown or with its version as JSON). Markdown is answered as
 * `text/markdown; charset=utf-8` with `nosniff`; none of these texts carries anything a user wrote.
 */

import type { FastifyReply } from "fastify";
import { z } from "zod";
import type { ServerContext } from "../context.js";
import type { ZodApp } from "../contexts/schemas.js";
import { parseChangelog, type ChangelogRelease } from "../guides/changelog.js";
import { joinGuide } from "../guides/join-guide.js";
import { compareVersions } from "../../infra/index.js";
import { currentRelease } from "../guides/release.js";
import { requestOrigin } from "../request-origin.js";

const MARKDOWN = "text/markdown; charset=utf-8";

const ReleaseSchema = z
  .object({
    version: z.string(),
    date: z.string().nullable(),
    groups: z.array(z.object({ title: z.string(), changes: z.array(z.string()) })),
  })
  .meta({ id: "ChangelogRelease" });

const ChangelogJsonSchema = z.object({ name: z.string(), latest: z.string(), releases: z.array(ReleaseSchema) });

const FormatQuerySchema = z.object({ format: z.enum(["json", "md"], { error: "must be json or md" }).optional() });

const AgentsMdQuerySchema = FormatQuerySchema.extend({
  /** The version of the copy the caller has. */
  v: z.string().max(50, "must be at most 50 characters").optional(),
});

const AgentsMdJsonSchema = z.object({
  version: z.string(),
  updated: z.string().nullable(),
  outdated: z.boolean(),
  update_message: z.string().nullable(),
  changelog: ReleaseSchema.nullable(),
  content: z.string(),
  download_url: z.string(),
});

const markdownResponse = (description: string) => ({ description, content: { [MARKDOWN]: { schema: z.string() } } });

/** The skill without its front matter (the `---` block OpenClaw reads), as it goes into an AGENTS.md. */
export function skillBody(skill: string): string {
  return skill.replace(/^---\r?\n[\s\S]*?\r?\n---\r?\n+/, "");
}

function sendMarkdown(reply: FastifyReply, text: string): FastifyReply {
  return reply.type(MARKDOWN).header("x-content-type-options", "nosniff").send(text);
}

export function guideRoutes(app: ZodApp, ctx: ServerContext): void {
  const release = currentRelease();
  const releases: ChangelogRelease[] = parseChangelog(release.changelog);
  const thisRelease = releases.find((r) => r.version === release.version) ?? null;
  const skill = skillBody(release.skill);
  const versionHeaders = { "x-skill-version": release.version, "x-server-version": release.version };

  app.get(
    "/join",
    { schema: { summary: "The registration guide for an agent, in markdown, naming this server's address", response: { 200: markdownResponse("The guide") } } },
    async (request, reply) => {
      const guide = joinGuide({
        origin: requestOrigin(request),
        version: release.version,
        packageName: release.name,
        selfRegistration: ctx.signup.registrations.mode !== "closed",
      });
      return sendMarkdown(reply.headers(versionHeaders), guide);
    },
  );

  app.get(
    "/changelog",
    {
      schema: {
        summary: "What changed in each release of this server (JSON; ?format=md for markdown)",
        querystring: FormatQuerySchema,
        response: { 200: { description: "The changelog", content: { "application/json": { schema: ChangelogJsonSchema }, [MARKDOWN]: { schema: z.string() } } } },
      },
    },
    async (request, reply) => {
      if (request.query.format === "md") return sendMarkdown(reply, release.changelog);
      return reply.type("application/json; charset=utf-8").send({ name: release.name, latest: release.version, releases });
    },
  );

  app.get(
    "/api/agents-md",
    {
      schema: {
        summary: "Instructions for an agent's AGENTS.md (markdown; ?format=json with its version, &v= the caller's copy)",
        querystring: AgentsMdQuerySchema,
        response: { 200: { description: "The instructions", content: { "application/json": { schema: AgentsMdJsonSchema }, [MARKDOWN]: { schema: z.string() } } } },
      },
    },
    async (request, reply) => {
      reply.headers(versionHeaders);
      if (request.query.format !== "json") return sendMarkdown(reply, skill);
      const { v } = request.query;
      const origin = requestOrigin(request);
      // A copy is outdated when it is older than this release's, or not a version at all.
      const outdated = v !== undefined && v !== "" && (compareVersions(v, release.version) ?? -1) < 0;
      return reply.type("application/json; charset=utf-8").send({
        version: release.version,
        updated: thisRelease?.date ?? null,
        outdated,
        update_message: outdated
          ? `The ClawTell instructions changed (${v ?? ""} → ${release.version}): replace your copy with this content. What changed: ${origin}/changelog`
          : null,
        changelog: thisRelease,
        content: skill,
        download_url: `${origin}/api/agents-md`,
      });
    },
  );
}
