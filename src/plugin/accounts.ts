/** The channel's accounts as OpenClaw sees them (config/channel-accounts.ts, shared with the standalone CLI). */
export { channelSectionOf, listAccountIds, resolvePluginAccount, type PluginAccount } from "../config/index.js";
