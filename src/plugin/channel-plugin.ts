/**
 * The `clawtell` ChannelPlugin: config adapter (accounts), gateway (the daemon per account), status and probe,
 * messaging (targets) and outbound/message adapters. `gateway`, `status`, `messaging` and `message` sit beside the
 * base object: `createChannelPluginBase` silently drops them.
 */

import { createChannelPluginBase, createChatChannelPlugin, type ChannelPlugin, type OpenClawConfig, type PluginRuntime } from "openclaw/plugin-sdk/channel-core";
import { createMessageReceiptFromOutboundResults, defineChannelMessageAdapter } from "openclaw/plugin-sdk/channel-outbound";
import { clientFor } from "../operator/index.js";
import { createOperatorDesk, type OperatorDesk } from "../operator/index.js";
import { systemClock } from "../infra/index.js";
import { listAccountIds, resolvePluginAccount, type PluginAccount } from "./accounts.js";
import { runAccount } from "./account-runner.js";
import { deleteAccount, setAccountEnabled, setupContract, setupWizard } from "./setup.js";
import { createStartupCheck } from "./startup-check.js";
import { clawTellPromptHints } from "./agent-names.js";
import { createHostAnswerBook } from "./host-answers.js";
import { CHANNEL_ID } from "./host-runtime.js";
import { createHostLogger } from "./host-logger.js";
import { bridgeRuntime } from "./openclaw-bridge.js";
import { sendOutboundText } from "./outbound.js";
import { collectStatusIssues, describeAccount, probeAccount, type ProbeResult } from "./status.js";
import { formatTargetDisplay, looksLikeTellTarget, normalizeTarget } from "./targets.js";

/** Longest text one ClawTell message carries (the service's body limit is larger; this keeps messages readable). */
export const TEXT_CHUNK_LIMIT = 50_000;

export interface ChannelPluginDeps {
  /** The host runtime, set by OpenClaw when the plugin registers. */
  readonly runtime: () => PluginRuntime;
}

export function createClawTellChannelPlugin(deps: ChannelPluginDeps): ChannelPlugin<PluginAccount, ProbeResult> {
  /** Answers OpenClaw delivers on its own go out as the agent sink's replies would (see host-answers.ts). */
  const hostAnswers = createHostAnswerBook({ clock: systemClock });
  const sendText = async (ctx: { cfg: OpenClawConfig; to: string; text: string; accountId?: string | null; replyToId?: string | null; signal?: AbortSignal }) => {
    const sent = await sendOutboundText({ clientFor, answers: hostAnswers }, ctx);
    return { messageId: sent.messageId };
  };
  /** What doctor would report, warned once per gateway process. */
  const startupCheck = createStartupCheck();
  /** One per gateway process: serves operator requests for every running account. */
  let desk: OperatorDesk | undefined;

  const config: ChannelPlugin<PluginAccount>["config"] = {
    listAccountIds: (cfg) => listAccountIds(cfg),
    resolveAccount: (cfg, accountId) => resolvePluginAccount(cfg, accountId),
    isConfigured: (account) => account.configured,
    isEnabled: (account) => account.enabled,
    describeAccount: (account) => describeAccount(account),
    // `openclaw channels remove` and enable/disable.
    setAccountEnabled: ({ cfg, accountId, enabled }) => setAccountEnabled(cfg, accountId, enabled),
    deleteAccount: ({ cfg, accountId }) => deleteAccount(cfg, accountId),
  };

  return createChatChannelPlugin<PluginAccount, ProbeResult>({
    base: {
      ...createChannelPluginBase<PluginAccount>({
        id: CHANNEL_ID,
        meta: {
          id: CHANNEL_ID,
          label: "ClawTell",
          selectionLabel: "ClawTell (Agent-to-Agent)",
          docsPath: "/channels/clawtell",
          blurb: "Agent-to-agent messages by tell/ name, with a durable local queue.",
          aliases: ["ct", "tell"],
          order: 80,
        },
        capabilities: { chatTypes: ["direct"], reply: true },
        reload: { configPrefixes: [`channels.${CHANNEL_ID}`] },
        config,
      }),
      config,
      // `openclaw channels add --channel clawtell` (flags or the interactive wizard).
      setupContract,
      setupWizard,
      gateway: {
        startAccount: async (ctx) => {
          const runtime = deps.runtime();
          const host = bridgeRuntime(runtime);
          const sink = ctx.log ?? { info: () => undefined, warn: () => undefined, error: () => undefined };
          void startupCheck.run(ctx.cfg, () => host.agentIds(ctx.cfg), createHostLogger(sink));
          await runAccount(
            { cfg: ctx.cfg, accountId: ctx.accountId, account: ctx.account, abortSignal: ctx.abortSignal, setStatus: (s) => ctx.setStatus(s) },
            {
              runtime: host.channel,
              listSessionEntries: host.listSessionEntries,
              sessionStatus: host.sessionStatus,
              defaultAgentId: host.defaultAgentId,
              agentIds: host.agentIds,
              sendBatch: host.sendBatch,
              stateDir: `${host.stateDir()}/${CHANNEL_ID}`,
              logger: createHostLogger(sink),
              desk: (desk ??= createOperatorDesk(createHostLogger(sink))),
              hostAnswers,
            },
          );
        },
      },
      status: {
        probeAccount: async ({ account, timeoutMs }) => {
          if (account.resolved === undefined) return { ok: false, error: account.problem ?? "not configured", latencyMs: 0 };
          return probeAccount(clientFor(account.resolved, account.resolved.apiKey), systemClock, timeoutMs);
        },
        buildAccountSnapshot: ({ account, runtime, probe }) => ({
          ...describeAccount(account),
          ...runtime,
          accountId: account.accountId,
          ...(probe === undefined ? {} : { probe }),
        }),
        collectStatusIssues: (accounts) => collectStatusIssues(accounts),
      },
      // Each routed agent is told its own name and how to reach the others (see agent-names.ts).
      agentPrompt: { messageToolHints: ({ cfg, accountId }) => clawTellPromptHints(cfg, accountId) },
      messaging: {
        normalizeTarget: (raw) => normalizeTarget(raw),
        targetResolver: { looksLikeId: (raw) => looksLikeTellTarget(raw) || normalizeTarget(raw) !== undefined, hint: "<tell/name>" },
        formatTargetDisplay: ({ target }) => formatTargetDisplay(target),
      },
      message: defineChannelMessageAdapter({
        id: CHANNEL_ID,
        durableFinal: { capabilities: { text: true, replyTo: true, thread: true, messageSendingHooks: true } },
        send: {
          text: async (ctx) => {
            const { messageId } = await sendText(ctx);
            return { messageId, receipt: createMessageReceiptFromOutboundResults({ results: [{ channel: CHANNEL_ID, messageId }], kind: "text" }) };
          },
        },
      }),
    },
    outbound: {
      base: { deliveryMode: "direct", textChunkLimit: TEXT_CHUNK_LIMIT },
      attachedResults: { channel: CHANNEL_ID, sendText },
    },
  });
}
