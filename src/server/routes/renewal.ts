/**
 * `/api/renew`: the SDKs' `getRenewalOptions()` and `renew(years)`. Names on this server never expire, so there is
 * nothing to buy: no options, and a renewal is a free no-op that reports the unchanged expiry.
 */

import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ServerContext } from "../context.js";
import { parseInput } from "../http-errors.js";
import { NAME_NEVER_EXPIRES } from "./names.js";

/** The periods the SDKs offer (`renew(years)`). */
const RENEWAL_YEARS = [1, 5, 10, 25, 50, 100] as const;

const RenewBodySchema = z.object({
  years: z
    .number()
    .refine((years) => (RENEWAL_YEARS as readonly number[]).includes(years), `must be one of ${RENEWAL_YEARS.join(", ")}`)
    .default(1),
});

const NEVER_EXPIRES_MESSAGE = "Names on this server never expire; there is nothing to renew.";

export function renewalRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { auth } = ctx;

  app.get("/api/renew", async (request) => {
    const caller = await auth.authenticate(request);
    return { name: caller.name.name, options: [], message: NEVER_EXPIRES_MESSAGE };
  });

  app.post("/api/renew", async (request) => {
    await auth.authenticate(request);
    parseInput(RenewBodySchema, request.body ?? {}, "body");
    return { success: true, freeRenewal: true, yearsAdded: 0, newExpiresAt: NAME_NEVER_EXPIRES, message: NEVER_EXPIRES_MESSAGE };
  });
}
