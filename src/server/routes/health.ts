/** `GET /health`: the process answers, and how many long polls and streams wait in it. */

import { z } from "zod";
import type { ServerContext } from "../context.js";
import type { ZodApp } from "../contexts/schemas.js";

const HealthSchema = z.object({ ok: z.literal(true), waiting: z.number().int() });

export function healthRoutes(app: ZodApp, ctx: ServerContext): void {
  app.get("/health", { schema: { summary: "Liveness", response: { 200: HealthSchema } } }, async () => ({ ok: true as const, waiting: ctx.notifier.waiting() }));
}
