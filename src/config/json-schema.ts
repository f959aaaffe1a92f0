/** The JSON Schema of `channels.clawtell`, generated from the zod schema (OpenClaw validates openclaw.json with it). */

import { z } from "zod";
import { ChannelConfigSchema } from "./schema.js";

/** JSON Schema (draft 2020-12) of `channels.clawtell`, input side: keys with defaults are optional. */
export function buildChannelConfigJsonSchema(): Record<string, unknown> {
  // The input side: keys with defaults are optional for the person writing openclaw.json.
  return z.toJSONSchema(ChannelConfigSchema, { io: "input" }) as Record<string, unknown>;
}
