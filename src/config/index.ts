/** Configuration of `channels.clawtell`: schema, parsing with exact paths, accounts and routes, openclaw.json. */
export * from "./schema.js";
export { parseChannelConfig, formatIssues } from "./parse.js";
export * from "./resolve.js";
export { buildChannelConfigJsonSchema } from "./json-schema.js";
export * from "./load.js";
export { resolveOpenClawConfigPath, resolveOpenClawStateDir } from "./paths.js";
export { watchConfigFile, CONFIG_DEBOUNCE_MS, MIN_CONFIG_DEBOUNCE_MS, type ConfigWatchDeps, type ConfigWatchHandle } from "./watch.js";
export { CHANNEL_KEY, channelSectionOf, listAccountIds, resolvePluginAccount, type PluginAccount } from "./channel-accounts.js";
