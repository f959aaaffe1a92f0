/**
 * Writes the JSON Schema of `channels.clawtell`, generated from the zod schema, to the two places that carry it
 * (`npm run gen:schema`): config-schema/channels.clawtell.schema.json, and the plugin manifest's
 * `channelConfigs.clawtell.schema` in openclaw.plugin.json (without `$schema`; every other manifest field is kept).
 * test/unit/plugin/packaging.test.ts and the config tests fail when either is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { buildChannelConfigJsonSchema } from "../src/config/index.js";

export const SCHEMA_FILE = resolve(import.meta.dirname, "../config-schema/channels.clawtell.schema.json");
export const MANIFEST_FILE = resolve(import.meta.dirname, "../openclaw.plugin.json");

export function renderSchema(): string {
  return `${JSON.stringify(buildChannelConfigJsonSchema(), null, 2)}\n`;
}

/** The manifest text with its channel schema replaced by the generated one. */
export function renderManifest(manifestText: string): string {
  const manifest = JSON.parse(manifestText) as { channelConfigs?: Record<string, Record<string, unknown>> };
  const { $schema: _dialect, ...schema } = buildChannelConfigJsonSchema();
  const channelConfigs = manifest.channelConfigs ?? {};
  channelConfigs["clawtell"] = { ...channelConfigs["clawtell"], schema };
  return `${JSON.stringify({ ...manifest, channelConfigs }, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(SCHEMA_FILE, renderSchema());
  writeFileSync(MANIFEST_FILE, renderManifest(readFileSync(MANIFEST_FILE, "utf8")));
}
