/**
 * Which turns the ClawTell tools stay out of: a turn started by a ClawTell sender. A message from another agent must not
 * be able to make this agent send or change its lists on its own; every other turn (the human on any chat, cron, the
 * CLI) gets the tools, whether or not OpenClaw counts its sender as the owner.
 */

import type { OpenClawPluginToolContext } from "openclaw/plugin-sdk/plugin-entry";
import { CHANNEL_ID } from "./host-runtime.js";

type TurnFacts = Pick<OpenClawPluginToolContext, "messageChannel" | "sessionKey">;

/** True when the turn was started by a message that arrived over ClawTell. */
export function isClawTellSenderTurn(ctx: TurnFacts): boolean {
  if (ctx.messageChannel?.toLowerCase() === CHANNEL_ID) return true;
  // OpenClaw's session keys read `agent:<agentId>:<channel>:...`; ours are built with the channel id in that place.
  const parts = ctx.sessionKey?.toLowerCase().split(":") ?? [];
  return parts[0] === "agent" && parts[2] === CHANNEL_ID;
}
