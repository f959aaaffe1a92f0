/**
 * The zod schema of `channels.clawtell` in openclaw.json. It accepts every key users of the official plugin already
 * have, plus ours. Defaults live here and nowhere else; the JSON Schema in config-schema/ is generated from it.
 */

import { z } from "zod";

/** The public ClawTell service. */
export const DEFAULT_BASE_URL = "https://www.clawtell.com";
/** The public service's separate streaming host (used only when `baseUrl` is the public service). */
export const DEFAULT_PUBLIC_SSE_URL = "https://clawtell-sse.fly.dev";
/** Routing key that catches every recipient name without a route of its own. */
export const DEFAULT_ROUTE_KEY = "_default";

const httpUrl = z
  .string()
  .regex(/^https?:\/\/[^\s/]+/, "must be an http(s) URL")
  .transform((url) => url.replace(/\/+$/, ""))
  .refine((url) => !/\/api$/.test(url), "must be the origin without /api (the client adds /api itself)");

const positiveMs = z.number().int().positive();

/** Channel of the human's chat when `forwardTo` names a chat without one (as the official plugin). */
export const DEFAULT_FORWARD_CHANNEL = "telegram";

/**
 * An explicit chat for 🦞 copies and alerts (`forwardTo`), at top level, per account or per route. Every key is
 * optional, as in the official plugin: without a chat id it names no chat (the human's active chat is used), and a
 * chat id without `channel` is a Telegram chat.
 */
export const ForwardToSchema = z
  .object({
    channel: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must be a channel id such as telegram, discord, slack or signal")
      .optional()
      .describe("Channel of the human's chat: inside OpenClaw any channel it sends to; standalone telegram, discord or slack (default telegram)"),
    to: z.union([z.string().min(1), z.number()]).optional().describe("The chat on that channel, as OpenClaw names it (Telegram chat id, Discord channel id, Slack channel id or incoming-webhook URL, …)"),
    /** The official plugin's name for `to`. */
    chatId: z.union([z.string().min(1), z.number()]).optional().describe("Same as `to` (official plugin's key)"),
    accountId: z.string().optional().describe("Account of that channel in OpenClaw"),
    threadId: z.union([z.string(), z.number()]).optional(),
  })
  .strict();

/** A route target for agents outside OpenClaw: HTTP POST of the message JSON (standalone daemon). */
export const WebhookTargetSchema = z
  .object({
    url: httpUrl,
    secret: z.string().min(16, "must be at least 16 characters").optional().describe("HMAC-SHA256 signing secret"),
    timeoutMs: positiveMs.default(10_000),
  })
  .strict();

/** A route target for agents outside OpenClaw: a command run without a shell, message JSON on stdin. */
export const CommandTargetSchema = z
  .object({
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    timeoutMs: positiveMs.default(30_000),
  })
  .strict();

/** One entry of `routing`: at most one of agent/webhook/command (none = the default agent `main`). */
export const RouteSchema = z
  .object({
    agent: z.string().min(1).optional().describe("OpenClaw agent id (default: main)"),
    webhook: WebhookTargetSchema.optional().describe("Deliver by HTTP POST (standalone daemon)"),
    command: CommandTargetSchema.optional().describe("Deliver by running a command (standalone daemon)"),
    forward: z.boolean().default(true).describe("Forward a 🦞 copy to the human's chat"),
    apiKey: z.string().min(1).optional().describe("Key of this name, used for its replies and sends"),
    forwardTo: ForwardToSchema.optional(),
  })
  .strict()
  .refine((r) => [r.agent, r.webhook, r.command].filter((t) => t !== undefined).length <= 1, {
    message: "give only one of agent, webhook or command",
  });

/** Retry and retention settings of the local queue; every key has its default here. */
export const QueueSchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(100).default(10),
    backoffBaseMs: positiveMs.default(5_000),
    backoffCapMs: positiveMs.default(900_000),
    maxPending: z.number().int().positive().default(10_000),
    deadLetterMaxCount: z.number().int().positive().default(1_000),
    deadLetterRetentionDays: z.number().positive().default(30),
  })
  .strict();

/**
 * How many automatic replies one name of the account may send to one sender within a window; over it, the agent's
 * answer is held back and the human told, so two agents cannot answer each other in an endless loop.
 */
export const LoopGuardSchema = z
  .object({
    maxReplies: z.number().int().min(0).default(10).describe("Automatic replies per name and sender within the window; 0 turns the guard off"),
    windowSeconds: z.number().int().min(1).max(86_400).default(300),
  })
  .strict();

/** `tell/Alice` → `alice`: how names and routing keys are compared. */
export function normaliseRoutingKey(key: string): string {
  return key.trim().toLowerCase().replace(/^tell\//, "");
}

/**
 * `routing`: keys are bare ClawTell names or `_default`. A `tell/` prefix and upper case are accepted and normalised
 * away (as the official plugin normalises names); two keys naming the same route are an error, not a silent overwrite.
 */
const RoutingSchema = z
  .record(z.string(), RouteSchema)
  .superRefine((routing, ctx) => {
    const seen = new Map<string, string>();
    for (const key of Object.keys(routing)) {
      const bare = normaliseRoutingKey(key);
      if (bare !== DEFAULT_ROUTE_KEY && !/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(bare)) {
        ctx.addIssue({ code: "custom", path: [key], message: "must be a ClawTell name or _default" });
      }
      const earlier = seen.get(bare);
      if (earlier !== undefined) ctx.addIssue({ code: "custom", path: [key], message: `names the same route as "${earlier}"` });
      seen.set(bare, key);
    }
  })
  .transform((routing) => Object.fromEntries(Object.entries(routing).map(([key, route]) => [normaliseRoutingKey(key), route])));

/** Keys one account may carry (top level and each entry of `accounts`). */
const accountShape = {
  enabled: z.boolean().optional().describe("Omitted means enabled"),
  name: z
    .string()
    .transform(normaliseRoutingKey)
    .optional()
    .describe("Your ClawTell name (tell/ prefix optional)"),
  apiKey: z.string().min(1).optional().describe("Account key (any name's key of the account)"),
  baseUrl: httpUrl.optional().describe(`ClawTell API origin (default ${DEFAULT_BASE_URL})`),
  sseUrl: z
    .union([httpUrl, z.literal(""), z.null(), z.boolean()])
    .optional()
    .describe("Streaming origin; null, false or \"\" turns streaming off (long polls), true keeps the default origin"),
  transport: z.enum(["sse", "longpoll"]).optional(),
  pollIntervalMs: positiveMs.optional(),
  pollAccount: z.boolean().optional().describe("Receive every name of the account in one stream"),
  routing: RoutingSchema.optional(),
  forwardTo: ForwardToSchema.optional(),
  queue: QueueSchema.optional(),
  loopGuard: LoopGuardSchema.optional().describe("Limit on automatic replies between two agents (default: 10 per sender in 5 minutes)"),
  stateDir: z.string().min(1).optional(),
  dmPolicy: z.string().optional().describe("Accepted for compatibility; ClawTell enforces policies server-side"),
  allowFrom: z.array(z.union([z.string(), z.number()])).optional(),
  autoReplyMode: z.enum(["everyone", "anyone", "allowlist_only", "manual_only"]).optional(),
  autoReplyAllowlist: z.array(z.string()).optional(),
  deliveryPolicy: z.string().optional().describe("Accepted for compatibility; ignored (server-side)"),
  deliveryBlocklist: z.array(z.string()).optional().describe("Accepted for compatibility; ignored (server-side)"),
};

/** One entry of `accounts` (the same keys as the top level, minus `accounts`). */
export const AccountConfigSchema = z.object(accountShape).strict();

/** `channels.clawtell`: the default account at top level, more under `accounts`. */
export const ChannelConfigSchema = z
  .object({
    ...accountShape,
    accounts: z.record(z.string().min(1), AccountConfigSchema).optional(),
  })
  .strict();

export type ChannelConfig = z.output<typeof ChannelConfigSchema>;
export type ChannelConfigInput = z.input<typeof ChannelConfigSchema>;
export type AccountConfig = z.output<typeof AccountConfigSchema>;
export type RouteConfig = z.output<typeof RouteSchema>;
export type ForwardToConfig = z.output<typeof ForwardToSchema>;
export type QueueConfig = z.output<typeof QueueSchema>;
export type LoopGuardConfig = z.output<typeof LoopGuardSchema>;
