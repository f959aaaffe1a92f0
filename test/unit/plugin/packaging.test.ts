// The package as OpenClaw reads it: the manifest's channel schema is the generated one, ids and versions agree, the
// entry is built JS, the tool is declared and the skill ships.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { buildChannelConfigJsonSchema } from "../../../src/config/index.js";
import { PLUGIN_ID, SEND_TOOL_NAME } from "../../../src/plugin/index.js";
import { renderManifest } from "../../../scripts/generate-config-schema.js";
import { CLI_DESCRIPTORS } from "../../../src/plugin/cli/register.js";

const root = resolve(import.meta.dirname, "../../..");
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
    devDependencies: Record<string, string>;
    dependencies: Record<string, string>;
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
    expect(manifest.contracts.tools).toEqual([SEND_TOOL_NAME]);
    expect(manifest.skills).toEqual(["skills"]);
    expect(existsSync(resolve(root, "skills/clawtell/SKILL.md"))).toBe(true);
    expect(pkg.openclaw.channel).toMatchObject({ id: PLUGIN_ID, label: "ClawTell", aliases: ["ct", "tell"] });
  });

  it("points OpenClaw at built JavaScript that the package ships, with OpenClaw as an optional peer", () => {
    expect(pkg.openclaw.extensions).toEqual(["./dist/index.js"]);
    for (const file of ["dist", "config-schema", "openclaw.plugin.json", "skills"]) expect(pkg.files).toContain(file);
    expect(pkg.peerDependencies["openclaw"]).toBe(">=2026.9.0");
    expect(pkg.peerDependenciesMeta["openclaw"]?.optional).toBe(true);
    expect(pkg.devDependencies["openclaw"]).toBeDefined();
    expect(pkg.dependencies["openclaw"]).toBeUndefined();
    expect(pkg.openclaw.compat.pluginApi).toBe(">=2026.9.0");
    expect(pkg.openclaw.install.minHostVersion).toBe(">=2026.9.0");
  });

  it("imports OpenClaw only through plugin-sdk subpaths", () => {
    const sources = ["src/index.ts", "src/plugin/channel-plugin.ts", "src/plugin/openclaw-bridge.ts", "src/plugin/tool-factory.ts"].map((f) => readFileSync(resolve(root, f), "utf8"));
    const imports = sources.flatMap((s) => [...s.matchAll(/from "(openclaw[^"]*)"/g)].map((m) => m[1]));
    expect(imports.length).toBeGreaterThan(0);
    for (const spec of imports) expect(spec).toMatch(/^openclaw\/plugin-sdk\/[a-z-]+$/);
  });
});
