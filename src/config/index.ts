/** Configuration of `channels.clawtell`: schema, parsing with exact paths, accounts and routes, openclaw.json. */
export * from "./schema.js";
export { parseChannelConfig, formatIssues } from "./parse.js";
export * from "./resolve.js";
export { buildChannelConfigJsonSchema } from "./json-schema.js";
export * from "./load.js";
export { resolveOpenClawConfigPath } from "./paths.js";
