/** Writes config-schema/channels.clawtell.schema.json from the zod schema (`npm run gen:schema`). */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { buildChannelConfigJsonSchema } from "../src/config/index.js";

export const SCHEMA_FILE = resolve(import.meta.dirname, "../config-schema/channels.clawtell.schema.json");

export function renderSchema(): string {
  return `${JSON.stringify(buildChannelConfigJsonSchema(), null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) writeFileSync(SCHEMA_FILE, renderSchema());
