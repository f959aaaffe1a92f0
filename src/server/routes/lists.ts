/**
 * Per-name lists, managed with the key of that name:
 * - `/api/allowlist` — the auto-reply allowlist (senders whose messages the agent may answer on its own);
 * - `/api/delivery/blocklist` and `/api/delivery/allowlist` — who may message the name at all
 *   (used by `delivery_policy` `everyone_except_blocklist` and `allowlist_only`).
 */

import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { NameBodySchema, NameRefSchema } from "../../protocol/index.js";
import type { ServerContext } from "../context.js";
import { parseInput } from "../http-errors.js";
import type { ListEntry, ListKind } from "../store/index.js";

const NameParamSchema = z.object({ name: NameRefSchema });

interface ListSpec {
  readonly path: string;
  readonly kind: ListKind;
  /** Key of the array in the GET answer. */
  readonly key: string;
  readonly toWire: (entry: ListEntry) => Record<string, string>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

const LISTS: readonly ListSpec[] = [
  {
    path: "/api/allowlist",
    kind: "auto_reply",
    key: "allowlist",
    toWire: (e) => ({ id: e.id, allowed_name: e.entry, created_at: iso(e.createdAt) }),
  },
  {
    path: "/api/delivery/blocklist",
    kind: "delivery_block",
    key: "blocklist",
    toWire: (e) => ({ id: e.id, name: e.entry, created_at: iso(e.createdAt) }),
  },
  {
    path: "/api/delivery/allowlist",
    kind: "delivery_allow",
    key: "allowlist",
    toWire: (e) => ({ id: e.id, name: e.entry, created_at: iso(e.createdAt) }),
  },
];

export function listRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { directory, auth, clock } = ctx;
  const owner = async (request: FastifyRequest): Promise<number> => (await auth.authenticate(request)).name.id;

  for (const list of LISTS) {
    app.get(list.path, async (request) => {
      const nameId = await owner(request);
      return { [list.key]: (await directory.listEntries(nameId, list.kind)).map(list.toWire) };
    });

    app.post(list.path, async (request) => {
      const nameId = await owner(request);
      const { name } = parseInput(NameBodySchema, request.body, "body");
      const entry = await directory.addEntry(nameId, list.kind, { id: randomUUID(), entry: name, createdAt: clock.now() });
      return { success: true, entry: list.toWire(entry) };
    });

    app.delete(`${list.path}/:name`, async (request) => {
      const nameId = await owner(request);
      const { name } = parseInput(NameParamSchema, request.params, "params");
      return { success: true, removed: await directory.removeEntry(nameId, list.kind, name) };
    });
  }
}
