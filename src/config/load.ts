/** Reading openclaw.json (JSON5): the `channels.clawtell` section and the chat tokens the standalone daemon needs. */

import JSON5 from "json5";
import { z } from "zod";
import { ClawTellError, readFileIfExists } from "../infra/index.js";
import { parseChannelConfig } from "./parse.js";
import type { ChannelConfig } from "./schema.js";

/** What the standalone daemon needs from openclaw.json besides its own section. */
export interface LoadedOpenClawConfig {
  readonly path: string;
  readonly clawtell: ChannelConfig;
  readonly telegram?: { readonly botToken: string; readonly apiRoot?: string };
  readonly discord?: { readonly token: string; readonly apiRoot?: string };
  /** `channels.slack`: the bot token for channel ids (incoming-webhook targets need none) and the Web API root. */
  readonly slack?: { readonly botToken?: string; readonly apiRoot?: string };
}

const OtherChannelsSchema = z.object({
  channels: z
    .object({
      telegram: z.object({ botToken: z.string().optional(), apiRoot: z.string().optional() }).loose().optional(),
      discord: z.object({ token: z.string().optional(), apiRoot: z.string().optional() }).loose().optional(),
      slack: z.object({ botToken: z.string().optional(), apiRoot: z.string().optional() }).loose().optional(),
    })
    .loose()
    .optional(),
});

/** openclaw.json text as a value, unchecked; a syntax error names the file. */
function parseJson5(text: string, path: string): unknown {
  try {
    return JSON5.parse(text);
  } catch (err) {
    throw new ClawTellError("CT_CONFIG_INVALID", `${path}: not valid JSON5 (${err instanceof Error ? err.message : String(err)})`, {
      cause: err,
    });
  }
}

/** Parses openclaw.json text; errors name the file and the field. */
export function parseOpenClawConfig(text: string, path: string): LoadedOpenClawConfig {
  const raw = parseJson5(text, path);
  const root = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
  const channels = typeof root["channels"] === "object" && root["channels"] !== null ? (root["channels"] as Record<string, unknown>) : {};
  const clawtell = parseChannelConfig(channels["clawtell"]);
  const others = OtherChannelsSchema.safeParse(root).data?.channels;
  const telegramToken = others?.telegram?.botToken;
  const discordToken = others?.discord?.token;
  const slack = others?.slack;
  return {
    path,
    clawtell,
    ...(telegramToken === undefined
      ? {}
      : { telegram: { botToken: telegramToken, ...(others?.telegram?.apiRoot === undefined ? {} : { apiRoot: others.telegram.apiRoot }) } }),
    ...(discordToken === undefined
      ? {}
      : { discord: { token: discordToken, ...(others?.discord?.apiRoot === undefined ? {} : { apiRoot: others.discord.apiRoot }) } }),
    ...(slack?.botToken === undefined && slack?.apiRoot === undefined
      ? {}
      : {
          slack: {
            ...(slack.botToken === undefined ? {} : { botToken: slack.botToken }),
            ...(slack.apiRoot === undefined ? {} : { apiRoot: slack.apiRoot }),
          },
        }),
  };
}

async function readConfigText(path: string): Promise<string> {
  const text = await readFileIfExists(path);
  if (text === undefined) throw new ClawTellError("CT_CONFIG_INVALID", `${path}: file not found`, { field: path });
  return text;
}

/** Reads and validates openclaw.json; a missing file or invalid content throws CT_CONFIG_INVALID naming the path. */
export async function loadOpenClawConfig(path: string): Promise<LoadedOpenClawConfig> {
  return parseOpenClawConfig(await readConfigText(path), path);
}

/** Reads openclaw.json as OpenClaw would hand it to a plugin: the whole file, sections unchecked. */
export async function readOpenClawJson(path: string): Promise<unknown> {
  return parseJson5(await readConfigText(path), path);
}
