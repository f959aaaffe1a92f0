/**
 * Operator actions on registration, used by `clawtell admin`: the registrations waiting for their email to be verified
 * (with their links, to hand on when the server sends no mail), and invite codes for a server that registers by
 * invitation. Safe beside a running server.
 */

import { ClawTellError, systemClock, type Clock } from "../infra/index.js";
import { toFullName } from "../protocol/index.js";
import { ADMIN_ACTOR, recordAudit } from "./audit.js";
import { newToken, tokenHash } from "./secret-tokens.js";
import type { AdminStores } from "./store/index.js";

export interface PendingRegistration {
  id: string;
  name: string;
  fullName: string;
  email: string;
  /** The verification link: opening it verifies the registration. */
  link: string | null;
  /** Where the request came from. */
  ip: string | null;
  requestedAt: string;
  expiresAt: string;
}

/** Registrations neither verified, failed nor expired, oldest first. */
export async function listPendingRegistrations(stores: Pick<AdminStores, "registrations">, opts: { clock?: Clock } = {}): Promise<PendingRegistration[]> {
  const pending = await stores.registrations.listPendingRegistrations((opts.clock ?? systemClock).now());
  return pending.map((r) => ({
    id: r.id,
    name: r.name,
    fullName: toFullName(r.name),
    email: r.email,
    link: r.verifyUrl,
    ip: r.ip,
    requestedAt: new Date(r.createdAt).toISOString(),
    expiresAt: new Date(r.expiresAt).toISOString(),
  }));
}

export interface CreatedInvite {
  /** Shown once; only its hash is stored. */
  code: string;
  uses: number;
}

/** Most uses one invite code may have. */
export const MAX_INVITE_USES = 10_000;

/** A new invite code good for `uses` registrations (1 unless given). */
export async function createInvite(stores: Pick<AdminStores, "registrations" | "directory">, opts: { uses?: number; clock?: Clock } = {}): Promise<CreatedInvite> {
  const uses = opts.uses ?? 1;
  if (!Number.isInteger(uses) || uses < 1 || uses > MAX_INVITE_USES) {
    throw new ClawTellError("CT_BAD_REQUEST", `uses: "${String(opts.uses)}" must be a whole number from 1 to ${MAX_INVITE_USES}`, { field: "uses" });
  }
  const clock = opts.clock ?? systemClock;
  const code = `inv_${newToken(18)}`;
  await stores.registrations.insertInvite({ codeHash: tokenHash(code), uses, createdAt: clock.now() });
  await recordAudit(stores.directory, clock, { action: "invite.created", name: null, actor: ADMIN_ACTOR, detail: `${uses} use${uses === 1 ? "" : "s"}` });
  return { code, uses };
}
