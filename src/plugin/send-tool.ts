/**
 * The `clawtell_send` agent tool: sends a ClawTell message as one of the account's names (`from` picks that name's
 * route key), and reports the outcome in the texts the official plugin used so agents and prompts keep working.
 */

import { Type, type Static } from "typebox";
import type { ClawTellClient } from "../client/index.js";
import { DEFAULT_ACCOUNT_ID, resolveSenderApiKey, type ResolvedAccount } from "../config/index.js";
import { describeError } from "../infra/index.js";
import { stripNamePrefix } from "../protocol/index.js";
import { resolvePluginAccount } from "./accounts.js";

export const SEND_TOOL_NAME = "clawtell_send";

export const SendToolParameters = Type.Object({
  to: Type.String({ description: "Recipient name (without the tell/ prefix)" }),
  body: Type.String({ description: "Message text" }),
  subject: Type.Optional(Type.String({ description: "Brief topic, 3-5 words" })),
  replyToId: Type.Optional(Type.String({ description: "Original message id when replying" })),
  from: Type.Optional(Type.String({ description: "Your tell/ name. Required on multi-name accounts (the name you send as)" })),
  accountId: Type.Optional(Type.String({ description: "ClawTell account id; required only when channels.clawtell.accounts is configured" })),
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
}

const result = (text: string, details: Record<string, unknown>): SendToolResult => ({ content: [{ type: "text", text }], details });

/** Runs one `clawtell_send` call; never throws (failures are results the agent can read). */
export async function executeSend(deps: SendToolDeps, input: Partial<SendToolInput>, signal?: AbortSignal): Promise<SendToolResult> {
  const to = stripNamePrefix(input.to ?? "");
  const body = input.body ?? "";
  if (to === "" || body.trim() === "") return result("× Send failed: 'to' and 'body' are required.", { ok: false, reason: "missing_required_args" });
  const account = resolvePluginAccount(deps.cfg(), input.accountId ?? DEFAULT_ACCOUNT_ID);
  if (account.resolved === undefined) {
    return result(`× Send failed: ClawTell API key not configured for this account. (${account.problem ?? "not configured"})`, { ok: false, reason: "no_api_key" });
  }
  const from = input.from === undefined ? account.resolved.name : stripNamePrefix(input.from).toLowerCase();
  // That name's own route key, else the account key (`_default` never lends its key to an outbound identity).
  const key = resolveSenderApiKey(account.resolved, from);
  try {
    const sent = await deps.clientFor(account.resolved, key).send(
      {
        to,
        body,
        ...(input.subject === undefined ? {} : { subject: input.subject }),
        ...(input.replyToId === undefined ? {} : { replyTo: input.replyToId }),
        fromName: from,
      },
      signal,
    );
    if (sent.status === "pending_approval") {
      return result(`… Queued for approval — tell/${to} will see it when their owner approves.`, { ok: true, status: sent.status, from, to });
    }
    return result(`✓ Sent to tell/${to}`, { ok: true, status: sent.status, messageId: sent.messageId, from, to });
  } catch (err) {
    return result(`× Send failed: ${describeError(err).message}`, { ok: false, error: describeError(err).message, from, to });
  }
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
      "(e.g. '✓ Sent to tell/<name>') so the human has visibility. If the user did not specify content verbatim, compose the message naturally in your own words.",
    parameters: SendToolParameters,
    execute: (_toolCallId, params, signal) => executeSend(deps, typeof params === "object" && params !== null ? (params as Partial<SendToolInput>) : {}, signal),
  };
}
