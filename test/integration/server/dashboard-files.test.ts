// The dashboard's static files over real HTTP (built by `npm run build`, which `npm test` runs first): the page is
// never cached, the hashed files are cached for a year, every answer carries the strict Content-Security-Policy and
// nosniff, no path outside the build can be named, and the first page's script and style stay within 150 KB gzipped.
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DASHBOARD_CSP } from "../../../src/server/routes/dashboard.js";
import { startTestServer, type TestServer } from "../../helpers/test-server.js";

describe("the dashboard's files", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("serves the page without caching and its hashed files with a long cache, all under the strict policy", async () => {
    const page = await fetch(`${server.url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.headers.get("content-security-policy")).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).not.toContain("unsafe-inline");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await page.text();
    const files = [...html.matchAll(/(?:src|href)="\/dashboard\/assets\/([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(files.length).toBe(2);
    expect(html).not.toMatch(/<script>(?!<\/script>)|<style>/);
    let gzipped = 0;
    for (const file of files) {
      const res = await fetch(`${server.url}/dashboard/assets/${file}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(res.headers.get("content-security-policy")).toBe(DASHBOARD_CSP);
      gzipped += gzipSync(Buffer.from(await res.arrayBuffer())).length;
    }
    expect(gzipped).toBeLessThanOrEqual(150 * 1024);
    process.stdout.write(`dashboard first page: ${(gzipped / 1024).toFixed(1)} KB of script and style, gzipped\n`);
  });

  it("answers 404 for anything that is not a file of the build, traversal included", async () => {
    for (const path of ["/dashboard/assets/..%2F..%2Fpackage.json", "/dashboard/assets/%2e%2e%2findex.html", "/dashboard/assets/nothing.js", "/dashboard/../package.json", "/dashboard/assets/..%5Cpackage.json"]) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).not.toContain('"name": "openclaw-clawtell"');
    }
  });
});
