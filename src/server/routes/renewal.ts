/**
 * `/api/renew`: the SDKs' `getRenewalOptions()` and `renew(years)`. Names on this server never expire, so there is
 * nothing to buy: no options, and a renewal is a free no-op that reports the unchanged expiry.
 */

import { z } from "zod";
import type { ServerContext } from "../context.js";
import { callerOf } from "../contexts/caller.js";
import type { ZodApp } from "../contexts/schemas.js";
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

const OptionsResponseSchema = z.object({ name: z.string(), options: z.array(z.never()), message: z.string() });
const RenewResponseSchema = z.object({
  success: z.literal(true),
  freeRenewal: z.literal(true),
  yearsAdded: z.literal(0),
  newExpiresAt: z.string(),
  message: z.string(),
});

export function renewalRoutes(app: ZodApp, _ctx: ServerContext): void {
  app.get(
    "/api/renew",
    { schema: { summary: "Renewal options (none: names never expire)", response: { 200: OptionsResponseSchema } } },
    async (request) => ({ name: callerOf(request).name.name, options: [], message: NEVER_EXPIRES_MESSAGE }),
  );

  app.post(
    "/api/renew",
    { schema: { summary: "Renew a name (a free no-op)", body: RenewBodySchema, response: { 200: RenewResponseSchema } } },
    async () => ({
      success: true as const,
      freeRenewal: true as const,
      yearsAdded: 0 as const,
      newExpiresAt: NAME_NEVER_EXPIRES,
      message: NEVER_EXPIRES_MESSAGE,
    }),
  );
}
