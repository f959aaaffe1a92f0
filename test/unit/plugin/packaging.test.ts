// The package as OpenClaw reads it: the manifest's channel schema is the generated one, ids and versions agree, the
// entry is built JS with its libraries bundled in, the tools are declared and the skill ships.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { buildChannelConfigJsonSchema } from "../../../src/config/index.js";
import { LISTS_TOOL_NAME, PLUGIN_ID, SEND_TOOL_NAME } from "../../../src/plugin/index.js";
import { renderManifest } from "../../../scripts/generate-config-schema.js";
import { CLI_DESCRIPTORS } from "../../../src/plugin/cli/register.js";
import { JSON_WORKER_ROLE } from "../../../src/server/json-parse-worker.js";

const root = resolve(import.meta.dirname, "../../..");

/**
 * The files of the bundle that `entry` loads, following its imports of files beside it (esbuild's chunks): static
 * imports only, or also `import()` with `dynamic`; and every other module they name (`foreign`).
 */
function bundleGraph(entry: string, opts: { dynamic: boolean }): { files: Set<string>; foreign: Set<string> } {
  const files = new Set<string>();
  const foreign = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const code = readFileSync(file, "utf8");
    // What a bundle loads at run time: its import statements, esbuild's __require() of a CommonJS require, import().
    const loads = [
      ...code.matchAll(/^import [^;]*?from "([^"]+)";$/gm),
      ...code.matchAll(/^import "([^"]+)";$/gm),
      ...code.matchAll(/\b__require\("([^"]+)"\)/g),
      ...(opts.dynamic ? code.matchAll(/\bimport\("([^"]+)"\)/g) : []),
    ];
    for (const specifier of loads.map((m) => m[1] ?? "")) {
      if (specifier.startsWith("./")) visit(resolve(dirname(file), specifier));
      else foreign.add(specifier);
    }
  };
  visit(entry);
  return { files, foreign };
}
const readJson = (file: string): Record<string, unknown> => JSON.parse(readFileSync(resolve(root, file), "utf8")) as Record<string, unknown>;

describe("plugin packaging", () => {
  const manifest = readJson("openclaw.plugin.json") as {
    id: string;
    version: string;
    channels: string[];
    skills: string[];
    contracts: { tools: string[] };
    configSchema: Record<string, unknown>;
    channelConfigs: Record<string, { schema: Record<string, unknown> }>;
    cliCommands: unknown[];
  };
  const pkg = readJson("package.json") as {
    version: string;
    files: string[];
    openclaw: { extensions: string[]; channel: { id: string; label: string; aliases: string[] }; compat: { pluginApi: string }; install: { minHostVersion: string } };
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional: boolean }>;
    bin: Record<string, string>;
    devDependencies: Record<string, string>;
    dependencies?: Record<string, string>;
  };

  it("lists `openclaw clawtell` in cliCommands exactly as the entry registers it", () => {
    expect(manifest.cliCommands).toEqual(CLI_DESCRIPTORS);
  });

  it("declares channels.clawtell with exactly the schema generated from the config code", () => {
    const { $schema: _dialect, ...generated } = buildChannelConfigJsonSchema();
    expect(manifest.channelConfigs["clawtell"]?.schema).toEqual(generated);
    expect(manifest.configSchema).toEqual({ type: "object", additionalProperties: false, properties: {} });
    // `npm run gen:schema` rewrites the manifest; on a current manifest it changes nothing.
    const text = readFileSync(resolve(root, "openclaw.plugin.json"), "utf8");
    expect(renderManifest(text)).toBe(text);
  });

  it("agrees with package.json and the code on ids, version, tool and skill", () => {
    expect(manifest.id).toBe(PLUGIN_ID);
    expect(manifest.channels).toEqual([PLUGIN_ID]);
    expect(manifest.version).toBe(pkg.version);
    expect(manifest.contracts.tools).toEqual([SEND_TOOL_NAME, LISTS_TOOL_NAME]);
    expect(manifest.skills).toEqual(["skills"]);
    expect(existsSync(resolve(root, "skills/clawtell/SKILL.md"))).toBe(true);
    expect(pkg.openclaw.channel).toMatchObject({ id: PLUGIN_ID, label: "ClawTell", aliases: ["ct", "tell"] });
  });

  it("points OpenClaw at bundled JavaScript that the package ships, with OpenClaw as an optional peer and no dependencies", () => {
    expect(pkg.openclaw.extensions).toEqual(["./dist/bundle/index.js"]);
    expect(pkg.bin).toEqual({ clawtell: "dist/bundle/cli.js" });
    for (const file of ["dist/bundle", "config-schema", "openclaw.plugin.json", "skills"]) expect(pkg.files).toContain(file);
    expect(pkg.peerDependencies["openclaw"]).toBe(">=2026.9.0");
    expect(pkg.peerDependenciesMeta["openclaw"]?.optional).toBe(true);
    expect(pkg.devDependencies["openclaw"]).toBeDefined();
    // OpenClaw copies every declared dependency each time it loads the plugin: the bundles need none.
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.openclaw.compat.pluginApi).toBe(">=2026.9.0");
    expect(pkg.openclaw.install.minHostVersion).toBe(">=2026.9.0");
  });

  // Built by `npm run build` (the pretest script).
  it.each(["dist/bundle/index.js", "dist/bundle/cli.js", "dist/bundle/cli-main.js", "dist/bundle/chunks/key-hash-worker.js", "dist/bundle/chunks/json-parse-worker.js"])("ships %s needing nothing but Node's own modules, OpenClaw's plugin SDK and the chunks beside it", (file) => {
    const { files, foreign } = bundleGraph(resolve(root, file), { dynamic: true });
    expect(files.size).toBeGreaterThan(0);
    const builtins = new Set(builtinModules);
    const outside = [...foreign].filter((s) => !s.startsWith("node:") && !builtins.has(s) && !/^openclaw\/plugin-sdk\/[a-z-]+$/.test(s));
    expect(outside).toEqual([]);
    if (/\/cli(-main)?\.js$/.test(file)) expect([...foreign].filter((s) => s.includes("openclaw/plugin-sdk"))).toEqual([]);
  });

  it("starts a command without the server's code: the commands load it with import() when `clawtell server` runs", () => {
    const marker = /^\/\/ node_modules\/fastify\/fastify\.js$/m;
    const atStart = bundleGraph(resolve(root, "dist/bundle/cli-main.js"), { dynamic: false }).files;
    expect([...atStart].filter((f) => marker.test(readFileSync(f, "utf8")))).toEqual([]);
    // The server is there all the same, a dynamic import away.
    const all = bundleGraph(resolve(root, "dist/bundle/cli-main.js"), { dynamic: true }).files;
    expect([...all].filter((f) => marker.test(readFileSync(f, "utf8")))).toHaveLength(1);
    const loaded = [...atStart].reduce((sum, f) => sum + statSync(f).size, 0);
    const everything = [...all].reduce((sum, f) => sum + statSync(f).size, 0);
    expect(loaded).toBeLessThan(everything / 3);
  });

  it("starts the bin with Node's compile cache on before the commands load, so that later starts read them compiled", () => {
    const tmp = mkdtempSync(join(tmpdir(), "clawtell-bin-"));
    try {
      const { NODE_COMPILE_CACHE: _given, ...env } = process.env;
      const started = spawnSync(process.execPath, [resolve(root, "dist/bundle/cli.js"), "--help"], { env: { ...env, TMPDIR: tmp }, encoding: "utf8" });
      expect(started.status, started.stderr).toBe(0);
      expect(started.stdout).toContain("Usage: clawtell");
      // The cache holds the code compiled after it was turned on: the commands' (hundreds of KB; the bin is a few lines).
      const cached = readdirSync(join(tmp, "node-compile-cache"), { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
      expect(cached.reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0)).toBeGreaterThan(100_000);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("starts the bin without Node's own copy of undici, which an ES import of node:http would load at every start", () => {
    const tmp = mkdtempSync(join(tmpdir(), "clawtell-bin-"));
    try {
      // Told at exit which of Node's own modules the process loaded.
      const preload = join(tmp, "loaded.cjs");
      writeFileSync(preload, 'process.on("exit", () => process.stderr.write(`\\nloaded: ${process.moduleLoadList.join(",")}\\n`));');
      for (const args of [["--help"], ["server", "--help"], ["admin", "--help"]]) {
        const started = spawnSync(process.execPath, ["--require", preload, resolve(root, "dist/bundle/cli.js"), ...args], { encoding: "utf8" });
        expect(started.status, started.stderr).toBe(0);
        const loaded = /^loaded: (.*)$/m.exec(started.stderr)?.[1]?.split(",") ?? [];
        expect(loaded).toContain("NativeModule fs");
        expect(loaded.filter((m) => m.includes("undici"))).toEqual([]);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("loads no CommonJS package with import(): its chunk would export `default` alone, and a named export be undefined", () => {
    const files = bundleGraph(resolve(root, "dist/bundle/cli-main.js"), { dynamic: true }).files;
    for (const file of bundleGraph(resolve(root, "dist/bundle/index.js"), { dynamic: true }).files) files.add(file);
    const loadedLater = [...files].flatMap((file) => [...readFileSync(file, "utf8").matchAll(/\bimport\("(\.\/[^"]+)"\)/g)].map((m) => resolve(dirname(file), m[1] ?? "")));
    expect(loadedLater.length).toBeGreaterThan(0);
    const defaultOnly = loadedLater.filter((file) => /^export default require_\w+\(\);$/m.test(readFileSync(file, "utf8")));
    expect(defaultOnly).toEqual([]);
  });

  it("ships every worker thread beside the code that starts it by file name", () => {
    const files = bundleGraph(resolve(root, "dist/bundle/cli-main.js"), { dynamic: true }).files;
    const started = [...files].flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/\bbesideModule\(import\.meta\.url, "(\.\/[a-z-]+)"\)/g)].map((m) => resolve(dirname(file), `${m[1] ?? ""}.js`)),
    );
    expect(started.map((f) => f.replace(/^.*\//, "")).sort()).toEqual(["json-parse-worker.js", "key-hash-worker.js"]);
    for (const worker of started) expect(existsSync(worker), worker).toBe(true);
  });

  it("ships the server's key-hashing worker thread, and it works", async () => {
    const worker = new Worker(resolve(root, "dist/bundle/chunks/key-hash-worker.js"));
    try {
      const hash = await bcrypt.hash("claw_abcdefgh_0123456789abcdef", 4);
      const answers = new Promise<unknown[]>((done) => {
        const seen: unknown[] = [];
        worker.on("message", (answer: unknown) => {
          seen.push(answer);
          if (seen.length === 2) done(seen);
        });
      });
      worker.postMessage({ id: 1, key: "claw_abcdefgh_0123456789abcdef", hash });
      worker.postMessage({ id: 2, key: "claw_abcdefgh_0123456789abcdeX", hash });
      expect(await answers).toEqual([
        { id: 1, ok: true },
        { id: 2, ok: false },
      ]);
    } finally {
      await worker.terminate();
    }
  });

  it("ships the server's worker thread for large JSON bodies, and it works", async () => {
    const worker = new Worker(resolve(root, "dist/bundle/chunks/json-parse-worker.js"), { workerData: JSON_WORKER_ROLE });
    try {
      const answers = new Promise<unknown[]>((done) => {
        const seen: unknown[] = [];
        worker.on("message", (answer: unknown) => {
          seen.push(answer);
          if (seen.length === 2) done(seen);
        });
      });
      worker.postMessage({ id: 1, bytes: Buffer.from('{"a":"\\ud800"}') });
      worker.postMessage({ id: 2, bytes: Buffer.from("[".repeat(100)) });
      expect(await answers).toEqual([
        { id: 1, ok: true, value: { a: "\ufffd" } },
        { id: 2, ok: false, problem: "body: nested deeper than 32 levels" },
      ]);
    } finally {
      await worker.terminate();
    }
  });

  it("ships the licence of every bundled library beside the bundles", () => {
    const notices = readFileSync(resolve(root, "dist/bundle/THIRD-PARTY-NOTICES.txt"), "utf8");
    for (const library of ["fastify", "zod", "undici", "pino", "chokidar", "p-queue", "lowdb", "commander"]) expect(notices).toMatch(new RegExp(`^${library}@\\d`, "m"));
  });

  it("imports OpenClaw only through plugin-sdk subpaths", () => {
    const sources = ["src/index.ts", "src/plugin/channel-plugin.ts", "src/plugin/openclaw-bridge.ts", "src/plugin/tool-factory.ts"].map((f) => readFileSync(resolve(root, f), "utf8"));
    const imports = sources.flatMap((s) => [...s.matchAll(/from "(openclaw[^"]*)"/g)].map((m) => m[1]));
    expect(imports.length).toBeGreaterThan(0);
    for (const spec of imports) expect(spec).toMatch(/^openclaw\/plugin-sdk\/[a-z-]+$/);
  });
});
