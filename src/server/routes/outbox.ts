/**
 * `GET /api/messages/outbox`: the messages the caller's name sent, newest first, each with its receipt (accepted,
 * delivered, acked, expired, blocked, pending_approval, rejected) and its subject while the message is stored. A key
 * reads its own name's; a dashboard session the name it chose with `X-ClawTell-Name` (one of its account's).
 */

import { OutboxQuerySchema, OutboxResponseSchema, type OutboxEntry } from "../../protocol/index.js";
import type { ServerContext } from "../context.js";
import { callerOf } from "../contexts/caller.js";
import type { ZodApp } from "../contexts/schemas.js";
import { receiptToStatus } from "../receipts.js";

export function outboxRoutes(app: ZodApp, ctx: ServerContext): void {
  app.get(
    "/api/messages/outbox",
    {
      schema: {
        summary: "The name's sent messages, newest first, each with its receipt",
        querystring: OutboxQuerySchema,
        response: { 200: OutboxResponseSchema },
      },
    },
    async (request, reply) => {
      const { name } = callerOf(request);
      const sent = await ctx.receipts.listSent(name.name, request.query.limit);
      const messages: OutboxEntry[] = [];
      for (const record of sent) {
        const read = receiptToStatus(record);
        // A name deleted and registered again is someone else: what the name sent before is not its owner's.
        if (read === undefined || read.firstAt < name.createdAt) continue;
        messages.push({ ...read.response, subject: record.subject, sentAt: new Date(read.firstAt).toISOString() });
      }
      void reply.header("cache-control", "no-store");
      return { name: name.name, messages };
    },
  );
}
