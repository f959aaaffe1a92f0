/**
 * The OpenAPI 3 document of this server, generated from the route schemas (`@fastify/swagger` with the zod
 * transforms) and served at `GET /openapi.json`. Routes of the authenticated context carry the bearer scheme and,
 * as the alternative, the dashboard session cookie.
 */

import swagger from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ZodApp } from "./contexts/schemas.js";
import { SESSION_COOKIE } from "./session-cookie.js";

/** The name of the API-key security scheme in the document. */
export const BEARER_SCHEME = "apiKey";

/** The name of the dashboard session scheme (a cookie; state-changing requests add `X-CSRF-Token`). */
export const SESSION_SCHEME = "dashboardSession";

/** What routes of the authenticated context declare as their security requirement: a key, or a session. */
export const AUTHENTICATED_SECURITY = [{ [BEARER_SCHEME]: [] }, { [SESSION_SCHEME]: [] }] as const;

/** The version of the API described (the ClawTell REST API as the official SDKs speak it). */
export const API_VERSION = "1.0.0";

/** A route as registered: what the document must describe. */
export interface RouteEntry {
  readonly method: string;
  readonly url: string;
}

declare module "fastify" {
  interface FastifyInstance {
    /** Every route registered on the server (HEAD routes fastify adds for GET included). */
    routeTable(): readonly RouteEntry[];
  }
}

/** Collects routes for the document and the route table; registered before any route. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  const routes: RouteEntry[] = [];
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  app.decorate("routeTable", () => routes);
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "ClawTell-compatible server",
        description: "The embedded ClawTell server: names, messages (send, long poll, stream, ack), lists and attachments.",
        version: API_VERSION,
      },
      components: {
        securitySchemes: {
          [BEARER_SCHEME]: { type: "http", scheme: "bearer", description: "The API key of a name: `Authorization: Bearer claw_…`" },
          [SESSION_SCHEME]: {
            type: "apiKey",
            in: "cookie",
            name: SESSION_COOKIE,
            description:
              "A dashboard session (POST /api/auth/verify sets it). State-changing requests add `X-CSRF-Token`; calls that act for one name add `X-ClawTell-Name`.",
          },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
}

const DocumentSchema = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
  components: z.record(z.string(), z.unknown()),
});

/** `GET /openapi.json` (public). The document is built on the first request and kept (`@fastify/swagger` caches it). */
export function openApiRoutes(app: ZodApp): void {
  app.get("/openapi.json", { schema: { summary: "This document", response: { 200: DocumentSchema } } }, async () => DocumentSchema.parse(app.swagger()));
}
