/**
 * - `GET /api/webhooks/deliveries`: the key's name's webhook deliveries, newest first, with their attempts' outcomes.
 * - `POST /api/webhooks/test`: sends a signed `webhook.test` event to the name's webhook URL now (through the same
 *   outgoing-request guard as deliveries) and answers its outcome. Neither stored nor retried.
 */

import { WebhookDeliveriesQuerySchema, WebhookDeliveriesResponseSchema, WebhookTestResponseSchema, type WebhookDeliveryWire } from "../../protocol/index.js";
import type { ServerContext } from "../context.js";
import { callerOf } from "../contexts/caller.js";
import type { ZodApp } from "../contexts/schemas.js";
import type { WebhookDelivery } from "../store/index.js";
import { sendWebhookTest, WEBHOOK_MAX_RESPONSE_BYTES } from "../webhooks/index.js";
import { whileConnected } from "./messages.js";

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function toWireDelivery(d: WebhookDelivery): WebhookDeliveryWire {
  return {
    id: d.id,
    event: d.event,
    messageId: d.messageId,
    state: d.state,
    status: d.status,
    attempts: d.attempts,
    createdAt: new Date(d.createdAt).toISOString(),
    lastAttemptAt: iso(d.lastAttemptAt),
    nextAttemptAt: iso(d.nextAttemptAt),
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    finishedAt: iso(d.finishedAt),
  };
}

export function webhookRoutes(app: ZodApp, ctx: ServerContext): void {
  app.get(
    "/api/webhooks/deliveries",
    {
      schema: {
        summary: "The key's name's webhook: its URL, its events and its deliveries (newest first)",
        querystring: WebhookDeliveriesQuerySchema,
        response: { 200: WebhookDeliveriesResponseSchema },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      // The name's current settings (a cached record may predate a change made through another process).
      const name = (await ctx.directory.findNameByName(caller.name.name)) ?? caller.name;
      const [events, deliveries] = await Promise.all([ctx.webhooks.events(name.id), ctx.webhooks.list(name.id, request.query.limit)]);
      return { name: name.name, webhookUrl: name.webhookUrl, events, deliveries: deliveries.map(toWireDelivery) };
    },
  );

  app.post(
    "/api/webhooks/test",
    {
      schema: {
        summary: "Send a signed `webhook.test` event to the name's webhook URL now, and answer what became of it",
        response: { 200: WebhookTestResponseSchema },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      // The URL and secret as they are now (a cached record may predate a change made through another process).
      const name = (await ctx.directory.findNameByName(caller.name.name)) ?? caller.name;
      const deps = { dispatcher: ctx.outbound, clock: ctx.clock, timeoutMs: ctx.webhookTimeoutMs, maxResponseBytes: WEBHOOK_MAX_RESPONSE_BYTES };
      const outcome = await whileConnected(reply, (gone) => sendWebhookTest(deps, name, gone));
      return { ...outcome, url: name.webhookUrl ?? "" };
    },
  );
}
