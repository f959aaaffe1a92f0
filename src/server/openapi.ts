/**
 * The OpenAPI 3 document of this server, generated from the route schemas (`@fastify/swagger` with the zod
 * transforms) and served at `GET /openapi.json`. Routes of the authenticated context carry the bearer scheme.
 */

import swagger from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ZodApp } from "./contexts/schemas.js";

/** The name of the API-key security scheme in the document. */
export const BEARER_SCHEME = "apiKey";

/** What routes of the authenticated context declare as their security requirement. */
export const BEARER_SECURITY = [{ [BEARER_SCHEME]: [] }] as const;

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
