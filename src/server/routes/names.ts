/** `/api/me` and `/api/names/*`: identity of the key, public lookup, availability, and a name's own settings. */

import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { ClawTellError } from "../../infra/index.js";
import { NameRefSchema, UpdateNameRequestSchema, checkName, stripNamePrefix, toFullName } from "../../protocol/index.js";
import type { ServerContext } from "../context.js";
import { parseInput } from "../http-errors.js";

const NameParamSchema = z.object({ name: NameRefSchema });
const NameQuerySchema = z.object({ name: z.string().min(1, "is required") });

/**
 * Names here never expire ("register once, keep forever"). The SDKs' `checkExpiry()` reads `expiresAt` as a date (a
 * null reads as 1970 in JS — "expired" — and fails in Python), so the answer is the calendar's last day instead.
 */
export const NAME_NEVER_EXPIRES = "9999-12-31T23:59:59.000Z";

export function nameRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { directory, messages, auth, names } = ctx;

  app.get("/api/me", async (request) => {
    const caller = await auth.authenticate(request);
    const me = (await directory.findNameByName(caller.name.name)) ?? caller.name;
    const [account, counts, owner, allowlist] = await Promise.all([
      auth.accountNames(caller),
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

  app.get("/api/names/check", async (request) => {
    const { name } = parseInput(NameQuerySchema, request.query, "query");
    const bare = stripNamePrefix(name);
    const problem = checkName(bare);
    return {
      name: bare,
      available: problem === undefined && (await directory.findNameByName(bare)) === undefined,
      ...(problem === undefined ? {} : { reason: problem }),
    };
  });

  app.get("/api/pricing", async (request) => {
    const { name } = parseInput(NameQuerySchema, request.query, "query");
    const bare = stripNamePrefix(name);
    const available = checkName(bare) === undefined && (await directory.findNameByName(bare)) === undefined;
    return { name: bare, available, price: 0, currency: "USD" };
  });

  app.get("/api/names/:name", async (request) => {
    const { name } = parseInput(NameParamSchema, request.params, "params");
    const record = await directory.findNameByName(name);
    if (record === undefined) throw new ClawTellError("CT_NOT_FOUND", "Name not found", { field: "name" });
    return {
      name: record.name,
      fullName: toFullName(record.name),
      registered: true,
      communicationMode: record.communicationMode,
    };
  });

  app.patch("/api/names/:name", async (request) => {
    const caller = await auth.authenticate(request);
    const { name } = parseInput(NameParamSchema, request.params, "params");
    const settings = parseInput(UpdateNameRequestSchema, request.body, "body");
    const target = (await directory.listNamesOfAccount(caller.accountId)).find((n) => n.name === name);
    if (target === undefined) throw new ClawTellError("CT_FORBIDDEN", "Not a name of this account", { field: "name" });
    const updated = await directory.updateNameSettings(target.id, {
      ...(settings.communication_mode === undefined ? {} : { communicationMode: settings.communication_mode }),
      ...(settings.delivery_policy === undefined ? {} : { deliveryPolicy: settings.delivery_policy }),
      ...(settings.webhook_url === undefined ? {} : { webhookUrl: settings.webhook_url }),
      ...(settings.webhook_secret === undefined ? {} : { webhookSecret: settings.webhook_secret }),
    });
    // After the change is stored: a send in between must not cache the old record again.
    names.invalidate(target.name);
    return {
      success: true,
      name: updated.name,
      webhook_url: updated.webhookUrl,
      communication_mode: updated.communicationMode,
      delivery_policy: updated.deliveryPolicy,
    };
  });
}
