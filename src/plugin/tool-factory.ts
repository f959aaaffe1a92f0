/**
 * Registers `clawtell_send` with OpenClaw: offered in every turn except one started by a ClawTell sender (so a message
 * cannot make the agent send on its own). Whether OpenClaw counts the turn's sender as the owner does not matter: a
 * human admitted by a channel's `allowFrom` gets the tool too. The tool reads the config current at call time.
 */

import type { AnyAgentTool, OpenClawPluginToolFactory } from "openclaw/plugin-sdk/plugin-entry";
import { clientFor } from "../operator/index.js";
import { createSendTool } from "./send-tool.js";
import { isClawTellSenderTurn } from "./turn-origin.js";

export function createToolFactory(): OpenClawPluginToolFactory {
  return (ctx) => {
    if (isClawTellSenderTurn(ctx)) return null;
    const tool: AnyAgentTool = createSendTool({
      cfg: () => ctx.getRuntimeConfig?.() ?? ctx.runtimeConfig ?? ctx.config,
      clientFor,
      ...(ctx.agentId === undefined ? {} : { agentId: ctx.agentId }),
      // Attachments come from the agent's workspace (or its sandbox root) only.
      fileRoots: [ctx.workspaceDir, ctx.fsPolicy?.root].filter((root): root is string => root !== undefined && root !== ""),
    });
    return tool;
  };
}
