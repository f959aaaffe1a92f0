/**
 * Sending from OpenClaw to ClawTell (`openclaw message send --channel clawtell`, `openclaw agent --deliver`, the core
 * `message` tool): the target's name, sent with the account's key as the account's name — unless the text is an
 * answer OpenClaw delivers on its own to a message the agent sink handed over (host-answers.ts), which goes out as
 * that message's reply.
 */

import type { ClawTellClient } from "../client/index.js";
import type { ResolvedAccount } from "../config/index.js";
import { ClawTellError } from "../infra/index.js";
import { resolvePluginAccount } from "./accounts.js";
import type { HostAnswerBook, HostAnswerResult } from "./host-answers.js";
import { normalizeTarget } from "./targets.js";

export interface OutboundText {
  readonly cfg: unknown;
  readonly to: string;
  readonly text: string;
  readonly accountId?: string | null;
  readonly replyToId?: string | null;
  readonly signal?: AbortSignal;
}

export interface OutboundDeps {
  readonly clientFor: (account: ResolvedAccount, apiKey: string) => ClawTellClient;
  /** Answers owed to the agent sink's messages (shared with the running accounts). */
  readonly answers?: HostAnswerBook;
}

/** Sends one text; resolves with the server's message id (`pending-approval:<to>` while it waits for approval). */
export async function sendOutboundText(deps: OutboundDeps, params: OutboundText): Promise<HostAnswerResult> {
  const to = normalizeTarget(params.to);
  if (to === undefined) {
    throw new ClawTellError("CT_BAD_REQUEST", `Delivering to ClawTell requires a name (tell/<name>), got "${params.to}"`, { field: "to" });
  }
  const account = resolvePluginAccount(params.cfg, params.accountId ?? undefined);
  const answer = deps.answers?.find(account.accountId, to, params.replyToId ?? undefined);
  if (answer !== undefined) return answer(params.text, params.signal);
  if (account.resolved === undefined) {
    throw new ClawTellError("CT_CONFIG_INVALID", `ClawTell account "${account.accountId}" is not configured: ${account.problem ?? "set name and apiKey"}`);
  }
  const sent = await deps.clientFor(account.resolved, account.resolved.apiKey).send(
    {
      to,
      body: params.text,
      fromName: account.resolved.name,
      ...(params.replyToId == null || params.replyToId === "" ? {} : { replyTo: params.replyToId }),
    },
    params.signal,
  );
  return { messageId: sent.messageId ?? `pending-approval:${to}`, status: sent.status };
}
