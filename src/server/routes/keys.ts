/**
 * `POST /api/keys/rotate`: the caller's key is replaced by a new one, answered once. The old key is refused from the
 * next request on (api-keys.ts reads the name's record on every request); the account's other names keep their keys.
 */

import { RotateKeyResponseSchema } from "../../protocol/index.js";
import { replaceKey } from "../api-keys.js";
import { recordAudit } from "../audit.js";
import type { ServerContext } from "../context.js";
import { callerOf } from "../contexts/caller.js";
import type { ZodApp } from "../contexts/schemas.js";


export function keyRoutes(app: ZodApp, ctx: ServerContext): void {
  app.post(
    "/api/keys/rotate",
    { schema: { summary: "Replace the key's own API key; the new key is answered once and the old one stops working", response: { 200: RotateKeyResponseSchema } } },
    async (request) => {
      const caller = callerOf(request);
      const { apiKey } = await replaceKey(ctx.directory, caller.name);
      await recordAudit(ctx.directory, ctx.clock, { action: "key.rotated", name: caller.name.name, actor: caller.name.name, ip: request.ip });
      return { success: true as const, name: caller.name.name, apiKey };
    },
  );
}
