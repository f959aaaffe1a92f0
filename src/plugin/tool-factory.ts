/**
 * Registers `clawtell_send` with OpenClaw: offered only to the owner's turns (never to a turn started by a ClawTell
 * sender, so a message cannot make the agent send on its own), with the config current at call time.
 */

import type { AnyAgentTool, OpenClawPluginToolFactory } from "openclaw/plugin-sdk/plugin-entry";
import { clientFor } from "../operator/index.js";
import { createSendTool } from "./send-tool.js";

export function createToolFactory(): OpenClawPluginToolFactory {
  return (ctx) => {
    if (ctx.senderIsOwner === false) return null;
    const tool: AnyAgentTool = createSendTool({
      cfg: () => ctx.getRuntimeConfig?.() ?? ctx.runtimeConfig ?? ctx.config,
      clientFor,
    });
    return tool;
  };
}
