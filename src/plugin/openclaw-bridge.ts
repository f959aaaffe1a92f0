/**
 * Where OpenClaw's real runtime meets our narrow types: the compiler checks here that `api.runtime` provides what
 * host-runtime.ts describes, so the rest of the adapter (and its tests) can use plain objects.
 */

import { listAgentIds, resolveDefaultAgentId } from "openclaw/plugin-sdk/agent-runtime";
import type { OpenClawConfig, PluginRuntime } from "openclaw/plugin-sdk/channel-core";
import { sendDurableMessageBatch } from "openclaw/plugin-sdk/channel-outbound";
import type { ChannelRuntimeSlice, ChatBatchSender, SessionRowLike } from "./host-runtime.js";

type Inbound = PluginRuntime["channel"]["inbound"];
type HostIngress = Awaited<ReturnType<Inbound["ingress"]["resolveStable"]>>;
type HostContext = ReturnType<Inbound["buildContext"]>;

/** The parts of OpenClaw's runtime the account runner needs, typed as host-runtime.ts describes them. */
export interface HostRuntimeParts {
  readonly channel: ChannelRuntimeSlice<OpenClawConfig, HostIngress, HostContext>;
  readonly listSessionEntries: (agentId: string) => readonly SessionRowLike[];
  /** One session's run state (`running`, `interrupted`, `done`, …), read fresh. */
  readonly sessionStatus: (agentId: string, sessionKey: string) => string | undefined;
  readonly defaultAgentId: (cfg: OpenClawConfig) => string;
  readonly agentIds: (cfg: OpenClawConfig) => readonly string[];
  readonly sendBatch: ChatBatchSender<OpenClawConfig>;
  /** OpenClaw's state folder (`OPENCLAW_STATE_DIR`, default `~/.openclaw`). */
  readonly stateDir: () => string;
}

export function bridgeRuntime(runtime: PluginRuntime): HostRuntimeParts {
  const channel: ChannelRuntimeSlice<OpenClawConfig, HostIngress, HostContext> = {
    routing: { buildAgentSessionKey: (params) => runtime.channel.routing.buildAgentSessionKey(params) },
    inbound: {
      ingress: { resolveStable: (params) => runtime.channel.inbound.ingress.resolveStable(params) },
      buildContext: (params) => runtime.channel.inbound.buildContext(params),
      dispatch: (params) => runtime.channel.inbound.dispatch(params),
    },
    media: { saveResponseMedia: (res, options) => runtime.channel.media.saveResponseMedia(res, options) },
  };
  return {
    channel,
    listSessionEntries: (agentId) => runtime.agent.session.listSessionEntries({ agentId, readOnly: true }),
    sessionStatus: (agentId, sessionKey) => runtime.agent.session.getSessionEntry({ agentId, sessionKey, readConsistency: "latest" })?.status,
    defaultAgentId: (cfg) => resolveDefaultAgentId(cfg),
    agentIds: (cfg) => listAgentIds(cfg),
    sendBatch: async (params) => sendDurableMessageBatch(params),
    stateDir: () => runtime.state.resolveStateDir(),
  };
}
