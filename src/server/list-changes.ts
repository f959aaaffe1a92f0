/**
 * Adding to and removing from a name's lists, as the API's list routes (routes/lists.ts) and `clawtell admin` both
 * do it: one entry per other name (adding it twice keeps the first), each change recorded in the audit log.
 */

import { randomUUID } from "node:crypto";
import type { Clock } from "../infra/index.js";
import { recordAudit } from "./audit.js";
import type { DirectoryStore, ListEntry, ListKind, NameRecord } from "./store/index.js";

/** Who changes a list: the name whose key was used (with its address), or the operator. */
export interface ListActor {
  readonly actor: string;
  readonly ip?: string | null;
}

export async function addToList(
  directory: DirectoryStore,
  clock: Clock,
  owner: NameRecord,
  kind: ListKind,
  other: string,
  by: ListActor,
): Promise<ListEntry> {
  const entry = await directory.addEntry(owner.id, kind, { id: randomUUID(), entry: other, createdAt: clock.now() });
  await recordAudit(directory, clock, { action: "list.added", name: owner.name, actor: by.actor, ip: by.ip ?? null, detail: `${kind} ${other}` });
  return entry;
}

/** Whether the other name was on the list. */
export async function removeFromList(
  directory: DirectoryStore,
  clock: Clock,
  owner: NameRecord,
  kind: ListKind,
  other: string,
  by: ListActor,
): Promise<boolean> {
  const removed = await directory.removeEntry(owner.id, kind, other);
  if (removed) {
    await recordAudit(directory, clock, { action: "list.removed", name: owner.name, actor: by.actor, ip: by.ip ?? null, detail: `${kind} ${other}` });
  }
  return removed;
}
