/** `GET /api/messages/{id}/status`: the sender's receipt of a message (receipts.ts). */

import { z } from "zod";
import { MessageStatusResponseSchema } from "../../protocol/index.js";
import type { ServerContext } from "../context.js";
import { callerOf } from "../contexts/caller.js";
import type { ZodApp } from "../contexts/schemas.js";
import { messageStatus } from "../receipts.js";

const StatusParamsSchema = z.object({ id: z.string().min(1).max(200) });

export function receiptRoutes(app: ZodApp, ctx: ServerContext): void {
  app.get(
    "/api/messages/:id/status",
    {
      schema: {
        summary: "What became of a message this account sent (accepted, delivered, acked, expired, blocked, …), with times",
        params: StatusParamsSchema,
        response: { 200: MessageStatusResponseSchema },
      },
    },
    async (request) => messageStatus(ctx, callerOf(request), request.params.id),
  );
}
