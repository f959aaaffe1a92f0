/**
 * The dashboard's static files (public context): `GET /dashboard` (and `/dashboard/`) answers `index.html`, never
 * cached; `GET /dashboard/assets/{file}` the hashed files of the build, cached for a year. Only the files read at start
 * (dashboard-files.ts) can be named, so `..` or an encoded slash finds nothing (404). Every answer carries a strict
 * Content-Security-Policy: scripts and styles of this origin only, nothing inline, never framed.
 */

import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { ClawTellError } from "../../infra/index.js";
import type { ServerContext } from "../context.js";
import type { ZodApp } from "../contexts/schemas.js";
import type { DashboardFile } from "../dashboard-files.js";
import { plainPage, sendPage } from "../plain-pages.js";
import { DASHBOARD_PATH } from "../sessions.js";

export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const PageSchema = z.string().meta({ description: "The dashboard's page (HTML) or one of its script, style or image files" });
const AssetParamsSchema = z.object({ file: z.string().min(1).max(200) });
const INDEX_RESPONSE = { 200: { content: { "text/html": { schema: PageSchema } } } };

function acceptsGzip(request: FastifyRequest): boolean {
  const header = request.headers["accept-encoding"];
  return typeof header === "string" && /\bgzip\b/.test(header);
}

function sendFile(request: FastifyRequest, reply: FastifyReply, file: DashboardFile, cacheControl: string): FastifyReply {
  void reply
    .header("content-type", file.type)
    .header("cache-control", cacheControl)
    .header("content-security-policy", DASHBOARD_CSP)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "same-origin")
    .header("x-frame-options", "DENY")
    .header("vary", "accept-encoding");
  if (acceptsGzip(request)) return reply.header("content-encoding", "gzip").send(file.gzipped);
  return reply.send(file.body);
}

export function dashboardRoutes(app: ZodApp, ctx: ServerContext): void {
  const { dashboard } = ctx;

  for (const url of [DASHBOARD_PATH, `${DASHBOARD_PATH}/`]) {
    app.get(url, { schema: { summary: "The dashboard (sign in with a link mailed to the account's email)", response: INDEX_RESPONSE } }, async (request, reply) => {
      if (dashboard.index === undefined) {
        return sendPage(reply, 503, plainPage("The dashboard was not built", ["This server runs without the dashboard's files: run npm run build."]));
      }
      return sendFile(request, reply, dashboard.index, "no-cache");
    });
  }

  app.get(
    `${DASHBOARD_PATH}/assets/:file`,
    { schema: { summary: "A file of the dashboard's build (hashed name, cached for a year)", params: AssetParamsSchema, response: INDEX_RESPONSE } },
    async (request, reply) => {
      const file = dashboard.assets.get(request.params.file);
      if (file === undefined) throw new ClawTellError("CT_NOT_FOUND", "file: the dashboard has no such file", { field: "file" });
      return sendFile(request, reply, file, "public, max-age=31536000, immutable");
    },
  );
}
