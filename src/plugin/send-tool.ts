/**
 * The `clawtell_send` agent tool: sends a ClawTell message as one of the account's names (`from` picks that name's
 * route key; left out, the calling agent's own routed name), and reports the outcome in the texts the official plugin
 * used so agents and prompts keep working.
 */

import { Type, type Static } from "typebox";
import { readAttachmentFiles, type ClawTellClient } from "../client/index.js";
import { resolveSenderApiKey, type ResolvedAccount } from "../config/index.js";
import { describeError } from "../infra/index.js";
import { stripNamePrefix } from "../protocol/index.js";
import { resolvePluginAccount } from "./accounts.js";
import { senderIdentityOf } from "./agent-names.js";

export const SEND_TOOL_NAME = "clawtell_send";

export const SendToolParameters = Type.Object({
  to: Type.String({ description: "Recipient name (without the tell/ prefix)" }),
  body: Type.String({ description: "Message text" }),
  subject: Type.Optional(Type.String({ description: "Brief topic, 3-5 words" })),
  replyToId: Type.Optional(Type.String({ description: "Original message id when replying" })),
  from: Type.Optional(
    Type.String({ description: "The tell/ name you send as. Defaults to the name routed to you (the first of them when several are); give it to send as another of your names" }),
  ),
  accountId: Type.Optional(Type.String({ description: "ClawTell account id; required only when channels.clawtell.accounts is configured" })),
  attachments: Type.Optional(
    Type.Array(Type.String(), {
      description:
        "Files to send: paths inside your workspace (relative to it, or absolute). At most 10, 25 MB together; images, PDF, Office documents, JSON, XML, text, zip/gzip/tar, audio, video",
    }),
  ),
});
export type SendToolInput = Static<typeof SendToolParameters>;

export interface SendToolResult {
  content: Array<{ type: "text"; text: string }>;
  details: Record<string, unknown>;
}

export interface SendToolDeps {
  /** The current OpenClaw config. */
  readonly cfg: () => unknown;
  readonly clientFor: (account: ResolvedAccount, apiKey: string) => ClawTellClient;
  /** The calling agent (OpenClaw's tool context): `from` defaults to the first name routed to it. */
  readonly agentId?: string;
  /** Folders attachments may come from (the agent's workspace, its sandbox); relative paths are read against the first. */
  readonly fileRoots?: readonly string[];
}

const result = (text: string, details: Record<string, unknown>): SendToolResult => ({ content: [{ type: "text", text }], details });

/** The model's `attachments`: a list of paths (one path alone is taken too). */
const pathsOf = (value: unknown): string[] =>
  typeof value === "string" ? [value] : Array.isArray(value) ? value.filter((p): p is string => typeof p === "string" && p.trim() !== "") : [];

/** Runs one `clawtell_send` call; never throws (failures are results the agent can read). */
export async function executeSend(deps: SendToolDeps, input: Partial<SendToolInput>, signal?: AbortSignal): Promise<SendToolResult> {
  const to = stripNamePrefix(input.to ?? "");
  const body = input.body ?? "";
  if (to === "" || body.trim() === "") return result("× Send failed: 'to' and 'body' are required.", { ok: false, reason: "missing_required_args" });
  const cfg = deps.cfg();
  const own = senderIdentityOf(cfg, deps.agentId, input.accountId);
  const account = resolvePluginAccount(cfg, own.accountId);
  if (account.resolved === undefined) {
    return result(`× Send failed: ClawTell API key not configured for this account. (${account.problem ?? "not configured"})`, { ok: false, reason: "no_api_key" });
  }
  const from = input.from === undefined || input.from.trim() === "" ? (own.name ?? account.resolved.name) : stripNamePrefix(input.from).toLowerCase();
  // That name's own route key, else the account key (`_default` never lends its key to an outbound identity).
  const key = resolveSenderApiKey(account.resolved, from);
  try {
    const attachments = await readAttachmentFiles(pathsOf(input.attachments), deps.fileRoots ?? []);
    const sent = await deps.clientFor(account.resolved, key).send(
      {
        to,
        body,
        ...(attachments.length === 0 ? {} : { attachments }),
        ...(input.subject === undefined ? {} : { subject: input.subject }),
        ...(input.replyToId === undefined ? {} : { replyTo: input.replyToId }),
        fromName: from,
      },
      signal,
    );
    if (sent.status === "pending_approval") {
      return result(`… Queued for approval — tell/${to} will see it when their owner approves.`, { ok: true, status: sent.status, from, to });
    }
    const files = attachments.length === 0 ? "" : ` with ${attachments.map((a) => a.filename).join(", ")}`;
    return result(`✓ Sent to tell/${to}${files}`, { ok: true, status: sent.status, messageId: sent.messageId, from, to });
  } catch (err) {
    return result(`× Send failed: ${describeError(err).message}`, { ok: false, error: describeError(err).message, from, to });
  }
}

/** Tells the calling agent which name it sends as when it leaves `from` out. */
function ownNameNote(deps: SendToolDeps): string {
  const own = senderIdentityOf(deps.cfg(), deps.agentId, undefined);
  if (own.name === undefined) return "Without `from` it sends as the account's own name.";
  return `You are tell/${own.name}: without \`from\` it sends as tell/${own.name} (when several names are routed to you, the first; name another in \`from\`).`;
}

/** The tool object OpenClaw registers. */
export function createSendTool(deps: SendToolDeps): {
  name: string;
  label: string;
  description: string;
  parameters: typeof SendToolParameters;
  execute: (toolCallId: string, params: unknown, signal?: AbortSignal) => Promise<SendToolResult>;
} {
  return {
    name: SEND_TOOL_NAME,
    label: "ClawTell Send",
    description:
      "Send a message via ClawTell to another agent (tell/<name>). After the call succeeds, summarize the send in the current chat " +
      "(e.g. '✓ Sent to tell/<name>') so the human has visibility. If the user did not specify content verbatim, compose the message naturally in your own words. " +
      ownNameNote(deps),
    parameters: SendToolParameters,
    execute: (_toolCallId, params, signal) => executeSend(deps, typeof params === "object" && params !== null ? (params as Partial<SendToolInput>) : {}, signal),
  };
}
