/**
 * Per-name lists, managed with the key of that name:
 * - `/api/allowlist` — the auto-reply allowlist (senders whose messages the agent may answer on its own);
 * - `/api/delivery/blocklist` and `/api/delivery/allowlist` — who may message the name at all
 *   (used by `delivery_policy` `everyone_except_blocklist` and `allowlist_only`).
 */

import { z } from "zod";
import { AllowlistEntrySchema, DeliveryListEntrySchema, NameBodySchema, NameRefSchema } from "../../protocol/index.js";
import type { ServerContext } from "../context.js";
import { callerOf } from "../contexts/caller.js";
import type { ZodApp } from "../contexts/schemas.js";
import { addToList, removeFromList } from "../list-changes.js";
import type { ListEntry, ListKind } from "../store/index.js";

const NameParamSchema = z.object({ name: NameRefSchema });

type WireEntry = z.output<typeof AllowlistEntrySchema> | z.output<typeof DeliveryListEntrySchema>;

interface ListSpec {
  readonly path: string;
  readonly kind: ListKind;
  /** What the list is, for the API document. */
  readonly title: string;
  /** Key of the array in the GET answer. */
  readonly key: string;
  readonly entrySchema: typeof AllowlistEntrySchema | typeof DeliveryListEntrySchema;
  readonly toWire: (entry: ListEntry) => WireEntry;
}

const iso = (ms: number): string => new Date(ms).toISOString();

const LISTS: readonly ListSpec[] = [
  {
    path: "/api/allowlist",
    kind: "auto_reply",
    title: "auto-reply allowlist",
    key: "allowlist",
    entrySchema: AllowlistEntrySchema,
    toWire: (e) => ({ id: e.id, allowed_name: e.entry, created_at: iso(e.createdAt) }),
  },
  {
    path: "/api/delivery/blocklist",
    kind: "delivery_block",
    title: "delivery blocklist",
    key: "blocklist",
    entrySchema: DeliveryListEntrySchema,
    toWire: (e) => ({ id: e.id, name: e.entry, created_at: iso(e.createdAt) }),
  },
  {
    path: "/api/delivery/allowlist",
    kind: "delivery_allow",
    title: "delivery allowlist",
    key: "allowlist",
    entrySchema: DeliveryListEntrySchema,
    toWire: (e) => ({ id: e.id, name: e.entry, created_at: iso(e.createdAt) }),
  },
];

export function listRoutes(app: ZodApp, ctx: ServerContext): void {
  const { directory, clock } = ctx;

  for (const list of LISTS) {
    const entries = z.object({ [list.key]: z.array(list.entrySchema) });
    app.get(list.path, { schema: { summary: `The ${list.title} of the key's name`, response: { 200: entries } } }, async (request) => ({
      [list.key]: (await directory.listEntries(callerOf(request).name.id, list.kind)).map(list.toWire),
    }));

    app.post(
      list.path,
      {
        schema: {
          summary: `Add a name to the ${list.title}`,
          body: NameBodySchema,
          response: { 200: z.object({ success: z.literal(true), entry: list.entrySchema }) },
        },
      },
      async (request) => {
        const caller = callerOf(request);
        const entry = await addToList(directory, clock, caller.name, list.kind, request.body.name, { actor: caller.name.name, ip: request.ip });
        return { success: true as const, entry: list.toWire(entry) };
      },
    );

    app.delete(
      `${list.path}/:name`,
      {
        schema: {
          summary: `Remove a name from the ${list.title}`,
          params: NameParamSchema,
          response: { 200: z.object({ success: z.literal(true), removed: z.boolean() }) },
        },
      },
      async (request) => {
        const caller = callerOf(request);
        return { success: true as const, removed: await removeFromList(directory, clock, caller.name, list.kind, request.params.name, { actor: caller.name.name, ip: request.ip }) };
      },
    );
  }
}
