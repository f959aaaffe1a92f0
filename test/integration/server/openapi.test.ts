// GET /openapi.json: the OpenAPI 3 document made from the route schemas. Every registered route is in it with its
// method and a described answer; routes that need a key carry the bearer scheme, public ones do not; every reference
// in it resolves.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer, openEmbeddedStorage, openFileStore, type Storage } from "../../../src/server/index.js";
import { BEARER_SCHEME, SESSION_SCHEME } from "../../../src/server/openapi.js";
import { api } from "../../helpers/test-server.js";

interface Operation {
  summary?: string;
  security?: Array<Record<string, string[]>>;
  parameters?: unknown[];
  requestBody?: unknown;
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
type OpenApiDocument = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, { type: string; scheme?: string }> };
};

/** Routes answered without a key. */
const PUBLIC = new Set([
  "GET /health",
  "GET /healthz",
  "GET /readyz",
  "GET /metrics",
  "GET /api/names/check",
  "GET /api/pricing",
  "GET /api/names/{name}",
  "GET /files/{fileId}",
  "GET /openapi.json",
  "POST /api/names/register",
  "GET /api/register/status",
  "GET /api/register/verify",
  "POST /api/auth/magic-link",
  "GET /api/auth/verify",
  "POST /api/auth/verify",
  "GET /api/directory",
  "GET /join",
  "GET /changelog",
  "GET /api/agents-md",
  "GET /dashboard",
  "GET /dashboard/",
  "GET /dashboard/assets/{file}",
]);

/** Every `$ref` anywhere in the value. */
function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refsIn(item, found);
  else if (typeof value === "object" && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === "$ref" && typeof inner === "string") found.push(inner);
      else refsIn(inner, found);
    }
  }
  return found;
}

describe("GET /openapi.json", () => {
  let dataDir: string;
  let storage: Storage;
  let app: FastifyInstance;
  let url: string;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "clawtell-openapi-"));
    storage = await openEmbeddedStorage({ dataDir });
    app = await buildServer({ storage, files: openFileStore(dataDir) });
    url = await app.listen({ host: "127.0.0.1", port: 0 });
    const res = await api({ url }, "GET", "/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    doc = res.body as unknown as OpenApiDocument;
  });
  afterAll(async () => {
    await app.close();
    await storage.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("is an OpenAPI 3 document with info, paths and the bearer scheme among its components", () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String) as unknown, version: expect.any(String) as unknown });
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
    expect(doc.components.securitySchemes?.[BEARER_SCHEME]).toEqual(expect.objectContaining({ type: "http", scheme: "bearer" }));
  });

  it("describes every registered route with its method, a summary and a described answer", () => {
    const routes = app.routeTable().filter((r) => r.method !== "HEAD");
    expect(routes.length).toBeGreaterThan(20);
    for (const { method, url: path } of routes) {
      const documented = path.replace(/:(\w+)/g, "{$1}");
      const operation = doc.paths[documented]?.[method.toLowerCase()];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(operation?.summary, `${method} ${path}`).toEqual(expect.any(String));
      const ok = operation?.responses?.["200"]?.content;
      expect(ok && Object.values(ok).every((c) => c.schema !== undefined), `${method} ${path}: 200 answer`).toBe(true);
      expect(operation?.responses?.["4XX"], `${method} ${path}: error answer`).toBeDefined();
    }
    // Nothing documented that is not served.
    const served = new Set(routes.map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, "{$1}")}`));
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const method of Object.keys(operations)) expect(served.has(`${method.toUpperCase()} ${path}`), `${method} ${path}`).toBe(true);
    }
  });

  it("asks for the bearer key, or a dashboard session, exactly on the routes that need one", () => {
    expect(doc.components.securitySchemes?.[SESSION_SCHEME]).toEqual(expect.objectContaining({ type: "apiKey", in: "cookie", name: "clawtell_session" }));
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const route = `${method.toUpperCase()} ${path}`;
        expect(operation.security, route).toEqual(PUBLIC.has(route) ? undefined : [{ [BEARER_SCHEME]: [] }, { [SESSION_SCHEME]: [] }]);
      }
    }
  });

  it("documents request parts: the send's body with its limits, the poll's query, a name in the path", () => {
    const send = doc.paths["/api/messages/send"]?.["post"];
    expect(JSON.stringify(send?.requestBody)).toContain('"maxLength":50000');
    const poll = doc.paths["/api/messages/poll"]?.["get"];
    expect(poll?.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: "query", name: "timeout" })]));
    const lookup = doc.paths["/api/names/{name}"]?.["get"];
    expect(lookup?.parameters).toEqual([expect.objectContaining({ in: "path", name: "name", required: true })]);
  });

  it("resolves every reference inside the document", () => {
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref, ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas?.[ref.slice("#/components/schemas/".length)], ref).toBeDefined();
    }
  });
});
