/**
 * `/api/me` and `/api/names/*`: identity of the key, public lookup, availability, and a name's own settings.
 * Lookup and availability are public; the rest needs the name's key.
 */

import { z } from "zod";
import { ClawTellError } from "../../infra/index.js";
import {
  LookupResponseSchema,
  MeResponseSchema,
  NameRefSchema,
  PublicProfileSchema,
  UpdateNameRequestSchema,
  UpdateNameResponseSchema,
  stripNamePrefix,
  toFullName,
} from "../../protocol/index.js";
import { describeSettings, recordAudit } from "../audit.js";
import { registrationNameProblem } from "../blocked-names.js";
import type { ServerContext } from "../context.js";
import { callerOf } from "../contexts/caller.js";
import type { ZodApp } from "../contexts/schemas.js";

const NameParamSchema = z.object({ name: NameRefSchema });
const NameQuerySchema = z.object({ name: z.string().min(1, "is required") });

const CheckResponseSchema = z.object({
  name: z.string(),
  available: z.boolean(),
  reason: z.enum(["too_short", "too_long", "bad_characters", "reserved", "offensive"]).optional(),
});
const PricingResponseSchema = z.object({ name: z.string(), available: z.boolean(), price: z.number(), currency: z.string() });

/**
 * Names here never expire ("register once, keep forever"). The SDKs' `checkExpiry()` reads `expiresAt` as a date (a
 * null reads as 1970 in JS — "expired" — and fails in Python), so the answer is the calendar's last day instead.
 */
export const NAME_NEVER_EXPIRES = "9999-12-31T23:59:59.000Z";

/** Public: availability, price (always free) and lookup of a name. */
export function publicNameRoutes(app: ZodApp, ctx: ServerContext): void {
  const { directory } = ctx;

  app.get(
    "/api/names/check",
    { schema: { summary: "Whether a name is free to register", querystring: NameQuerySchema, response: { 200: CheckResponseSchema } } },
    async (request) => {
      const bare = stripNamePrefix(request.query.name);
      const problem = registrationNameProblem(bare);
      return {
        name: bare,
        available: problem === undefined && (await directory.findNameByName(bare)) === undefined,
        ...(problem === undefined ? {} : { reason: problem }),
      };
    },
  );

  app.get(
    "/api/pricing",
    { schema: { summary: "The price of a name (names are free here)", querystring: NameQuerySchema, response: { 200: PricingResponseSchema } } },
    async (request) => {
      const bare = stripNamePrefix(request.query.name);
      const available = registrationNameProblem(bare) === undefined && (await directory.findNameByName(bare)) === undefined;
      return { name: bare, available, price: 0, currency: "USD" };
    },
  );

  app.get(
    "/api/names/:name",
    {
      schema: {
        summary: "Look up a registered name, with its directory profile when that is visible",
        params: NameParamSchema,
        response: { 200: LookupResponseSchema.extend({ profile: PublicProfileSchema.optional() }) },
      },
    },
    async (request) => {
      const record = await directory.findNameByName(request.params.name);
      if (record === undefined) throw new ClawTellError("CT_NOT_FOUND", "Name not found", { field: "name" });
      const profile = await ctx.profiles.publicOf(record);
      return {
        name: record.name,
        fullName: toFullName(record.name),
        registered: true,
        communicationMode: record.communicationMode,
        ...(profile === undefined ? {} : { profile }),
      };
    },
  );
}

/** With the key: who am I, and a name's own settings. */
export function nameRoutes(app: ZodApp, ctx: ServerContext): void {
  const { directory, messages, accounts, names } = ctx;

  app.get("/api/me", { schema: { summary: "The key's name, its account and its settings", response: { 200: MeResponseSchema } } }, async (request) => {
    const caller = callerOf(request);
    const me = (await directory.findNameByName(caller.name.name)) ?? caller.name;
    const [account, counts, owner, allowlist] = await Promise.all([
      accounts.of(caller),
      messages.count(me.id),
      directory.findAccountById(caller.accountId),
      directory.listEntries(me.id, "auto_reply"),
    ]);
    return {
      name: me.name,
      fullName: toFullName(me.name),
      email: owner?.email ?? null,
      accountId: caller.accountId,
      names: account.map((n) => n.name),
      communicationMode: me.communicationMode,
      deliveryPolicy: me.deliveryPolicy,
      webhookUrl: me.webhookUrl,
      expiresAt: NAME_NEVER_EXPIRES,
      createdAt: new Date(me.createdAt).toISOString(),
      stats: {
        totalMessages: counts.total,
        unreadMessages: counts.unread,
        allowlistCount: allowlist.length,
      },
    };
  });

  app.patch(
    "/api/names/:name",
    {
      schema: {
        summary: "Change a name's settings (a name of the key's account)",
        params: NameParamSchema,
        body: UpdateNameRequestSchema,
        response: { 200: UpdateNameResponseSchema },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const { name } = request.params;
      const settings = request.body;
      const target = (await directory.listNamesOfAccount(caller.accountId)).find((n) => n.name === name);
      if (target === undefined) throw new ClawTellError("CT_FORBIDDEN", "Not a name of this account", { field: "name" });
      const updated = await directory.updateNameSettings(target.id, {
        ...(settings.communication_mode === undefined ? {} : { communicationMode: settings.communication_mode }),
        ...(settings.delivery_policy === undefined ? {} : { deliveryPolicy: settings.delivery_policy }),
        ...(settings.webhook_url === undefined ? {} : { webhookUrl: settings.webhook_url }),
        ...(settings.webhook_secret === undefined ? {} : { webhookSecret: settings.webhook_secret }),
      });
      if (settings.webhook_events !== undefined) await ctx.webhooks.setEvents(target.id, [...new Set(settings.webhook_events)]);
      // After the change is stored: a send in between must not cache the old record again.
      names.invalidate(target.name);
      await recordAudit(directory, ctx.clock, {
        action: "settings.changed",
        name: updated.name,
        actor: caller.name.name,
        ip: request.ip,
        detail: describeSettings(settings),
      });
      return {
        success: true as const,
        name: updated.name,
        webhook_url: updated.webhookUrl,
        communication_mode: updated.communicationMode,
        delivery_policy: updated.deliveryPolicy,
        webhook_events: await ctx.webhooks.events(target.id),
      };
    },
  );
}
