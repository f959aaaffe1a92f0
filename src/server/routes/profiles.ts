/**
 * Directory profiles: `GET`/`PATCH /api/profile` for a name of the key's account (the key's own name unless `?name=`
 * picks another of the account), and the public directory `GET /api/directory`. The public lookup
 * (`GET /api/names/{name}`, names.ts) shows a visible profile too.
 */

import { z } from "zod";
import { ClawTellError } from "../../infra/index.js";
import { DirectoryQuerySchema, DirectoryResponseSchema, NameRefSchema, OwnProfileSchema, ProfilePatchSchema } from "../../protocol/index.js";
import { recordAudit } from "../audit.js";
import type { Caller } from "../auth.js";
import type { ServerContext } from "../context.js";
import { callerOf } from "../contexts/caller.js";
import type { ZodApp } from "../contexts/schemas.js";
import type { NameRecord } from "../store/index.js";

const ProfileQuerySchema = z.object({ name: NameRefSchema.optional() });

/** What a profile change set, for the audit log: the fields given, visibility by value. */
function describeProfileChange(patch: Readonly<Record<string, unknown>>): string {
  return Object.entries(patch)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => (key === "profile_visible" ? `${key}=${String(value)}` : key))
    .join(" ");
}

/** With a key: the profile of the key's name or of another name of its account. */
export function profileRoutes(app: ZodApp, ctx: ServerContext): void {
  const { directory, profiles } = ctx;

  /** The name the call is about: the key's own, or `?name=` when it is of the same account (else 403). */
  const target = async (caller: Caller, name: string | undefined): Promise<NameRecord> => {
    if (name === undefined || name === caller.name.name) return (await directory.findNameByName(caller.name.name)) ?? caller.name;
    const found = (await directory.listNamesOfAccount(caller.accountId)).find((n) => n.name === name);
    if (found === undefined) throw new ClawTellError("CT_FORBIDDEN", "Not a name of this account", { field: "name" });
    return found;
  };

  app.get(
    "/api/profile",
    {
      schema: {
        summary: "The directory profile of the key's name (or ?name= another name of its account)",
        querystring: ProfileQuerySchema,
        response: { 200: OwnProfileSchema },
      },
    },
    async (request) => profiles.own(await target(callerOf(request), request.query.name)),
  );

  app.patch(
    "/api/profile",
    {
      schema: {
        summary: "Change the directory profile of the key's name (or ?name= another name of its account)",
        querystring: ProfileQuerySchema,
        body: ProfilePatchSchema,
        response: { 200: OwnProfileSchema },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const name = await target(caller, request.query.name);
      const updated = await profiles.update(name, request.body);
      await recordAudit(directory, ctx.clock, {
        action: "profile.changed",
        name: name.name,
        actor: caller.name.name,
        ip: request.ip,
        detail: describeProfileChange(request.body),
      });
      return updated;
    },
  );
}

/** Without a key: the directory of listed profiles. */
export function publicProfileRoutes(app: ZodApp, ctx: ServerContext): void {
  app.get(
    "/api/directory",
    {
      schema: {
        summary: "Search the directory of listed profiles (visible, with a tagline and a description), in name order",
        querystring: DirectoryQuerySchema,
        response: { 200: DirectoryResponseSchema },
      },
    },
    async (request) => {
      const { q, category, skill, limit, cursor } = request.query;
      return ctx.profiles.search({
        limit,
        ...(q === undefined ? {} : { q }),
        ...(category === undefined ? {} : { category }),
        ...(skill === undefined ? {} : { skill }),
        ...(cursor === undefined ? {} : { cursor }),
      });
    },
  );
}
