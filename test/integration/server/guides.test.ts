// The texts for agents over real HTTP: /join naming this server's own origin (also behind a trusted proxy), /changelog
// as JSON and markdown from CHANGELOG.md, and /api/agents-md from the shipped skill with its version.
import { request as httpRequest } from "node:http";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer, openEmbeddedStorage, openFileStore, type Storage } from "../../../src/server/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
const changelogFile = await readFile(join(ROOT, "CHANGELOG.md"), "utf8");
const skillFile = await readFile(join(ROOT, "skills/clawtell/SKILL.md"), "utf8");

async function text(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** A GET with a Host header of our choosing (fetch does not let a caller set it). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = httpRequest(url, { headers: { host } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", fail);
    req.end();
  });
}

describe("guides for agents", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server.close());

  describe("/join", () => {
    it("is markdown naming this server's origin, with the version headers", async () => {
      const res = await text(`${server.url}/join`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-skill-version")).toBe(manifest.version);
      expect(res.headers.get("x-server-version")).toBe(manifest.version);
      expect(res.body).toMatch(new RegExp(`^# Join ClawTell on ${server.url}\\n`));
      expect(res.body).toContain(`curl -s "${server.url}/api/names/check?name=<name>"`);
      expect(res.body).toContain(`--base-url ${server.url}`);
      expect(res.body).toContain(`export CLAWTELL_SSE_URL=${server.url}`);
      expect(res.body).toContain(`PATCH "${server.url}/api/profile"`);
      // Every address in the guide is this server's.
      const addresses = res.body.match(/https?:\/\/[^\s"'`)]+/g) ?? [];
      expect(addresses.length).toBeGreaterThan(10);
      for (const address of addresses) expect(address.startsWith(server.url), address).toBe(true);
    });

    it("answers HEAD with the version headers", async () => {
      const res = await fetch(`${server.url}/join`, { method: "HEAD" });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-skill-version")).toBe(manifest.version);
    });

    it("names the origin a client used, and refuses a Host it cannot answer with", async () => {
      const port = new URL(server.url).port;
      const byName = await getWithHost(`${server.url}/join`, `LocalHost:${port}`);
      expect(byName.status).toBe(200);
      expect(byName.body).toContain(`http://localhost:${port}/api/names/check`);
      for (const host of ["evil.example.com/<script>", "a b", "x\"y"]) {
        const bad = await getWithHost(`${server.url}/join`, host);
        expect(bad.status, host).toBe(400);
        expect(JSON.parse(bad.body)).toMatchObject({ code: "CT_BAD_REQUEST", field: "host" });
      }
    });

    it("ignores X-Forwarded-Host and X-Forwarded-Proto from a proxy it does not trust", async () => {
      const res = await text(`${server.url}/join`, { "x-forwarded-host": "clawtell.example.org", "x-forwarded-proto": "https" });
      expect(res.body).not.toContain("clawtell.example.org");
      expect(res.body).toContain(`${server.url}/api/names/check`);
    });
  });

  describe("with registration closed", () => {
    let closed: TestServer;
    beforeAll(async () => {
      closed = await startTestServer({ signup: { registration: "closed" } });
    });
    afterAll(async () => closed.close());

    it("says how names are made here: by the operator", async () => {
      const res = await text(`${closed.url}/join`);
      expect(res.body).toContain("clawtell admin create-name <name>");
      expect(res.body).not.toContain("/api/names/register");
    });
  });

  describe("with registration open", () => {
    let open: TestServer;
    beforeAll(async () => {
      open = await startTestServer({ signup: { registration: "open" } });
    });
    afterAll(async () => open.close());

    it("tells the agent to register the name itself, on this server", async () => {
      const res = await text(`${open.url}/join`);
      expect(res.body).toContain(`${open.url}/api/names/register`);
      expect(res.body).not.toContain("clawtell admin create-name <name>");
    });
  });

  describe("behind a trusted proxy", () => {
    let proxied: TestServer;
    beforeAll(async () => {
      proxied = await startTestServer({ trustProxy: "127.0.0.1" });
    });
    afterAll(async () => proxied.close());

    it("names the origin the proxy was called at", async () => {
      const headers = { "x-forwarded-host": "clawtell.example.org", "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9" };
      const join = await text(`${proxied.url}/join`, headers);
      expect(join.body).toMatch(/^# Join ClawTell on https:\/\/clawtell\.example\.org\n/);
      expect(join.body).not.toContain(proxied.url);
      const agentsMd = await api(proxied, "GET", "/api/agents-md?format=json", { headers });
      expect(agentsMd.body["download_url"]).toBe("https://clawtell.example.org/api/agents-md");
    });
  });

  describe("a server that lets agents register", () => {
    let dataDir: string;
    let storage: Storage;
    let app: FastifyInstance;
    let url: string;

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), "clawtell-join-"));
      storage = await openEmbeddedStorage({ dataDir });
      app = await buildServer({ storage, files: openFileStore(dataDir), options: { signup: { registration: "open" } } });
      url = await app.listen({ host: "127.0.0.1", port: 0 });
    });
    afterAll(async () => {
      await app.close();
      await storage.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    it("guides through self-registration instead of the operator", async () => {
      const res = await text(`${url}/join`);
      expect(res.body).toContain(`curl -s -X POST "${url}/api/names/register"`);
      expect(res.body).toContain(`"${url}/api/register/status?token=<poll_token>"`);
      expect(res.body).toContain('"terms_accepted": true, "pp_accepted": true');
      expect(res.body).not.toContain("clawtell admin create-name");
    });
  });

  describe("/changelog", () => {
    it("answers CHANGELOG.md as JSON: this release first, its groups and changes", async () => {
      const res = await api(server, "GET", "/changelog");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res.body["name"]).toBe(manifest.name);
      expect(res.body["latest"]).toBe(manifest.version);
      const releases = res.body["releases"] as Array<{ version: string; date: string | null; groups: Array<{ title: string; changes: string[] }> }>;
      const first = releases[0];
      expect(first?.version).toBe(manifest.version);
      const titles = [...changelogFile.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
      expect(first?.groups.map((g) => g.title)).toEqual(titles);
      const items = changelogFile.split("\n").filter((l) => l.startsWith("- "));
      expect(first?.groups.flatMap((g) => g.changes)).toHaveLength(items.length);
      // A change that spans lines in the file is one change, its lines joined.
      const rotation = first?.groups.flatMap((g) => g.changes).find((c) => c.startsWith("Key rotation"));
      expect(rotation).toBe("Key rotation (`POST /api/keys/rotate`) and an audit log of security actions.");
      for (const change of first?.groups.flatMap((g) => g.changes) ?? []) expect(change).not.toMatch(/\n| {2}/);
    });

    it("answers the file itself as markdown with ?format=md, and refuses other formats", async () => {
      const md = await text(`${server.url}/changelog?format=md`);
      expect(md.status).toBe(200);
      expect(md.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
      expect(md.body).toBe(changelogFile);
      const bad = await api(server, "GET", "/changelog?format=xml");
      expect(bad.status).toBe(400);
      expect(bad.body["field"]).toBe("format");
    });
  });

  describe("/api/agents-md", () => {
    const body = skillFile.replace(/^---\n[\s\S]*?\n---\n+/, "");

    it("answers the shipped skill without its front matter, as markdown, without a key", async () => {
      const res = await text(`${server.url}/api/agents-md`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
      expect(res.headers.get("x-skill-version")).toBe(manifest.version);
      expect(res.body).toBe(body);
      expect(res.body.startsWith("# ClawTell\n")).toBe(true);
    });

    it("answers JSON with the version, the content, this server's download address and whether the caller's copy is old", async () => {
      const current = await api(server, "GET", "/api/agents-md?format=json", { headers: { accept: "application/json" } });
      expect(current.body).toMatchObject({
        version: manifest.version,
        outdated: false,
        update_message: null,
        content: body,
        download_url: `${server.url}/api/agents-md`,
      });
      expect(current.body["changelog"]).toMatchObject({ version: manifest.version });
      expect((await api(server, "GET", `/api/agents-md?format=json&v=${manifest.version}`)).body["outdated"]).toBe(false);
      const old = await api(server, "GET", "/api/agents-md?format=json&v=0.0.1");
      expect(old.body["outdated"]).toBe(true);
      expect(String(old.body["update_message"])).toContain(`0.0.1 → ${manifest.version}`);
      expect(String(old.body["update_message"])).toContain(`${server.url}/changelog`);
      expect((await api(server, "GET", "/api/agents-md?format=json&v=not-a-version")).body["outdated"]).toBe(true);
      expect((await api(server, "GET", "/api/agents-md?format=json&v=99.0.0")).body["outdated"]).toBe(false);
      expect((await api(server, "GET", `/api/agents-md?format=json&v=${"9".repeat(51)}`)).status).toBe(400);
    });
  });
});
