/**
 * The audit log of security actions: key rotations, settings and list changes, name creation and deletion. Each is
 * recorded with one call, with the time, who did it (the name whose key was used, or `admin` for the operator's CLI),
 * and the caller's address when it came over HTTP. Keys and secrets are never recorded.
 */

import type { Clock } from "../infra/index.js";
import type { DirectoryStore } from "./store/index.js";

/** The actor of actions taken with `clawtell admin`. */
export const ADMIN_ACTOR = "admin";

/** The actions recorded; later flows (registration, login, approvals) add theirs here. */
export type AuditAction =
  | "name.created"
  | "name.deleted"
  | "key.rotated"
  | "settings.changed"
  | "list.added"
  | "list.removed"
  | "approval.approved"
  | "approval.rejected"
  | "approval.expired"
  | "quota.changed"
  | "registration.requested"
  | "registration.verified"
  | "invite.created"
  | "login.link_sent"
  | "login"
  | "logout"
  | "profile.changed";

export interface AuditInput {
  readonly action: AuditAction;
  /** The name acted on, without `tell/`. */
  readonly name: string | null;
  readonly actor: string;
  readonly ip?: string | null;
  readonly detail?: string | null;
}

/** Records one security action. */
export function recordAudit(directory: Pick<DirectoryStore, "appendAudit">, clock: Clock, input: AuditInput): Promise<void> {
  return directory.appendAudit({
    at: clock.now(),
    action: input.action,
    name: input.name,
    actor: input.actor,
    ip: input.ip ?? null,
    detail: input.detail ?? null,
  });
}

/** What a settings change set, for the log: modes and policies by value, webhook fields only as changed. */
export function describeSettings(settings: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    parts.push(/webhook/.test(key) ? `${key} changed` : `${key}=${String(value)}`);
  }
  return parts.join(" ");
}
