/**
 * OpenClaw's own setup flow for the channel: `openclaw channels add --channel clawtell --name <name> --api-key <key>
 * [--base-url <server>]` (the setup contract) or the same three questions in the interactive wizard, writing
 * `channels.clawtell` (or `channels.clawtell.accounts.<id>` with `--account`); `channels remove` and enable/disable
 * through the config adapter's `deleteAccount` / `setAccountEnabled`. Each write patches only the keys it sets.
 */

import type { ChannelPlugin, OpenClawConfig } from "openclaw/plugin-sdk/channel-core";
import { defineChannelSetupContract, type ChannelSetupWizard } from "openclaw/plugin-sdk/channel-setup";
import { DEFAULT_ACCOUNT_ID, DEFAULT_BASE_URL } from "../config/index.js";
import { ClawTellError, describeError } from "../infra/index.js";
import { checkName, describeNameProblem, stripNamePrefix } from "../protocol/index.js";
import { channelSectionOf, resolvePluginAccount } from "./accounts.js";
import { CHANNEL_ID } from "./host-runtime.js";
import { clientFor } from "../operator/index.js";

type Section = Record<string, unknown>;

/** What setup may set on one account. */
export interface SetupInput {
  readonly name?: string;
  readonly apiKey?: string;
  readonly baseUrl?: string;
}

const record = (value: unknown): Section => (typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Section) : {});
const text = (value: unknown): string | undefined => (typeof value === "string" && value.trim() !== "" ? value.trim() : undefined);

/** The keys setup writes, as `channels.clawtell` holds them. */
function patchOf(input: SetupInput): Section {
  const name = text(input.name);
  const apiKey = text(input.apiKey);
  const baseUrl = text(input.baseUrl);
  return {
    ...(name === undefined ? {} : { name: stripNamePrefix(name) }),
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(baseUrl === undefined ? {} : { baseUrl: baseUrl.replace(/\/+$/, "").replace(/\/api$/, "") }),
  };
}

/** The config with one account's object replaced (the top level for the default account). */
function withAccount(cfg: OpenClawConfig, accountId: string, change: (account: Section) => Section | undefined): OpenClawConfig {
  const section = record(channelSectionOf(cfg));
  let next: Section | undefined;
  if (accountId === DEFAULT_ACCOUNT_ID) {
    next = change(section);
  } else {
    const accounts = { ...record(section["accounts"]) };
    const changed = change(record(accounts[accountId]));
    if (changed === undefined) delete accounts[accountId];
    else accounts[accountId] = changed;
    const { accounts: _old, ...rest } = section;
    next = Object.keys(accounts).length === 0 ? rest : { ...rest, accounts };
  }
  const channels = { ...record(cfg.channels) };
  if (next === undefined || Object.keys(next).length === 0) delete channels[CHANNEL_ID];
  else channels[CHANNEL_ID] = next;
  return { ...cfg, channels } as OpenClawConfig;
}

/** Why an input cannot be written, or null. */
export function validateSetupInput(input: SetupInput): string | null {
  const name = text(input.name);
  const problem = name === undefined ? undefined : checkName(stripNamePrefix(name));
  if (problem !== undefined) return `--name: tell/${stripNamePrefix(name ?? "")} ${describeNameProblem(problem)}`;
  const apiKey = text(input.apiKey);
  if (apiKey !== undefined && !apiKey.startsWith("claw_")) return "--api-key: a ClawTell key starts with claw_";
  const baseUrl = text(input.baseUrl);
  if (baseUrl !== undefined && !URL.canParse(baseUrl)) return `--base-url: ${baseUrl} is not a URL (e.g. ${DEFAULT_BASE_URL})`;
  return null;
}

/** Writes the input's keys into the account (enabling it when it was off). */
export function applySetupInput(cfg: OpenClawConfig, accountId: string, input: SetupInput): OpenClawConfig {
  return withAccount(cfg, accountId, (account) => {
    const { enabled, ...rest } = account;
    return { ...(enabled === false ? rest : account), ...patchOf(input) };
  });
}

/** `channels enable|disable`: the account's `enabled` (the top level's turns every account of the channel off). */
export function setAccountEnabled(cfg: OpenClawConfig, accountId: string, enabled: boolean): OpenClawConfig {
  return withAccount(cfg, accountId, (account) => ({ ...account, enabled }));
}

/** Identity keys of the default account: what `channels remove --delete` takes away when named accounts remain. */
const DEFAULT_IDENTITY_KEYS = ["name", "apiKey", "routing", "pollAccount", "enabled"];

/** `channels remove --delete`: the account's config (all of `channels.clawtell` when nothing else is left). */
export function deleteAccount(cfg: OpenClawConfig, accountId: string): OpenClawConfig {
  return withAccount(cfg, accountId, (account) => {
    if (accountId !== DEFAULT_ACCOUNT_ID) return undefined;
    const accounts = record(account["accounts"]);
    if (Object.keys(accounts).length === 0) return undefined;
    return Object.fromEntries(Object.entries(account).filter(([key]) => !DEFAULT_IDENTITY_KEYS.includes(key)));
  });
}

/** After the write: does the server answer the key as the name? (A warning in OpenClaw's output when not.) */
async function checkWrittenAccount(cfg: OpenClawConfig, accountId: string, log: (line: string) => void): Promise<void> {
  const account = resolvePluginAccount(cfg, accountId);
  if (account.resolved === undefined) {
    log(`ClawTell account ${accountId}: ${account.problem ?? "not complete yet"}`);
    return;
  }
  try {
    const me = await clientFor(account.resolved, account.resolved.apiKey).me(AbortSignal.timeout(10_000));
    log(
      me.name === account.resolved.name
        ? `ClawTell: ${account.resolved.baseUrl} answers as tell/${me.name}`
        : `ClawTell: the key is tell/${me.name}'s, not tell/${account.resolved.name}'s — run openclaw clawtell doctor`,
    );
  } catch (err) {
    log(`ClawTell: ${account.resolved.baseUrl} did not accept the key: ${describeError(err).message} — run openclaw clawtell doctor`);
  }
}

/** The fields OpenClaw's CLI offers (`package.json` `openclaw.channel.setup.fields` repeats them); `--name` is OpenClaw's own. */
export const SETUP_FIELDS = {
  apiKey: { kind: "string", sensitive: true, cli: { flags: "--api-key <key>", description: "the API key of the ClawTell name (claw_…)" } },
  baseUrl: { kind: "string", cli: { flags: "--base-url <url>", description: `ClawTell server (default ${DEFAULT_BASE_URL})` } },
} as const;

export const setupContract: NonNullable<ChannelPlugin["setupContract"]> = defineChannelSetupContract({
  fields: SETUP_FIELDS,
  adapter: {
    // The top level is the default account and also holds what named accounts inherit: OpenClaw must not move its
    // `name` into `accounts.default` when another account is added (that would make a second, broken account).
    configPromotion: "preserve-root",
    validateInput: ({ input }) => validateSetupInput(input),
    applyAccountConfig: ({ cfg, accountId, input }) => applySetupInput(cfg, accountId, input),
    afterAccountConfigWritten: ({ cfg, accountId, runtime }) => checkWrittenAccount(cfg, accountId, (line) => runtime.log(line)),
  },
});

/**
 * The key the wizard's last question was answered with. The key itself only: `channels.clawtell.apiKey` is read as
 * it is written, so a secret reference (OpenClaw's "external secret provider") is refused, saying so.
 */
export function applyWizardKey(cfg: OpenClawConfig, accountId: string, value: unknown): OpenClawConfig {
  if (typeof value !== "string") {
    throw new ClawTellError("CT_CONFIG_INVALID", "ClawTell API key: enter the key itself (claw_…); the channel reads channels.clawtell.apiKey as written, not a secret reference", {
      field: "channels.clawtell.apiKey",
    });
  }
  const problem = validateSetupInput({ apiKey: value });
  if (problem !== null) throw new ClawTellError("CT_CONFIG_INVALID", problem.replace(/^--api-key/, "ClawTell API key"), { field: "channels.clawtell.apiKey" });
  return applySetupInput(cfg, accountId, { apiKey: value });
}

/** The current value of one key of the account, for the wizard. */
const currentOf = (cfg: OpenClawConfig, accountId: string, key: keyof SetupInput): string | undefined => {
  const section = record(channelSectionOf(cfg));
  return text((accountId === DEFAULT_ACCOUNT_ID ? section : record(record(section["accounts"])[accountId]))[key]);
};

/** The interactive flow: name, server, then the key. */
export const setupWizard: ChannelSetupWizard = {
  channel: CHANNEL_ID,
  status: {
    configuredLabel: "configured",
    unconfiguredLabel: "needs a name and its API key",
    resolveConfigured: ({ cfg, accountId }) => resolvePluginAccount(cfg, accountId ?? DEFAULT_ACCOUNT_ID).configured,
  },
  stepOrder: "text-first",
  textInputs: [
    {
      inputKey: "name",
      message: "Your ClawTell name (tell/…)",
      placeholder: "alice",
      currentValue: ({ cfg, accountId }) => currentOf(cfg, accountId, "name"),
      validate: ({ value }) => validateSetupInput({ name: value }) ?? undefined,
    },
    {
      inputKey: "baseUrl",
      message: "ClawTell server",
      placeholder: DEFAULT_BASE_URL,
      required: false,
      currentValue: ({ cfg, accountId }) => currentOf(cfg, accountId, "baseUrl"),
      initialValue: () => DEFAULT_BASE_URL,
      validate: ({ value }) => validateSetupInput({ baseUrl: value }) ?? undefined,
    },
  ],
  credentials: [
    {
      inputKey: "apiKey",
      providerHint: CHANNEL_ID,
      credentialLabel: "ClawTell API key",
      envPrompt: "Use the API key from the environment?",
      keepPrompt: "Keep the current API key?",
      inputPrompt: "The API key of that name (claw_…)",
      allowEnv: () => false,
      // Written here: OpenClaw's default would pass the setup contract a `useEnv` it does not declare, and fail.
      applySet: ({ cfg, accountId, value }) => applyWizardKey(cfg, accountId, value),
      inspect: ({ cfg, accountId }) => {
        const key = currentOf(cfg, accountId, "apiKey");
        return { accountConfigured: resolvePluginAccount(cfg, accountId).configured, hasConfiguredValue: key !== undefined };
      },
    },
  ],
};
