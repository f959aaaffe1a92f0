/**
 * `clawtell admin pending` and `clawtell admin invite`: the registrations waiting for their email to be verified
 * (with the links to hand on when the server sends no mail), and invite codes for `--registration invite`. Both
 * open the data folder (`--data`) or the database (`--database`) beside a running server.
 */

import type { Command } from "commander";
import { ClawTellError } from "../../infra/index.js";
import type { Io } from "../../infra/terminal-io.js";
import { formatTable, storageOptions } from "./admin-operator.js";
import { withAdminStores, type StorageFlags } from "./admin-storage.js";

function parseUses(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const uses = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(uses)) {
    throw new ClawTellError("CT_BAD_REQUEST", `uses: "${raw}" is not a whole number`, { field: "uses" });
  }
  return uses;
}

/** Registers `pending` and `invite` under `clawtell admin`. */
export function registerAdminSignupCommands(admin: Command, io: Io): void {
  storageOptions(
    admin
      .command("pending")
      .description("registrations waiting for their email to be verified, with their verification links (to hand on when the server sends no mail)"),
  ).action(async (opts: StorageFlags) => {
    const { listPendingRegistrations } = await import("../../server/administration.js");
    const pending = await withAdminStores(opts, (stores) => listPendingRegistrations(stores));
    if (opts.json === true) {
      io.out(JSON.stringify(pending));
      return;
    }
    const rows = pending.map((r) => [r.fullName, r.email, r.requestedAt, r.expiresAt, r.link ?? "-"]);
    for (const line of formatTable(["NAME", "EMAIL", "REQUESTED", "EXPIRES", "LINK"], rows)) io.out(line);
  });

  storageOptions(
    admin
      .command("invite")
      .description("make an invite code for a server run with --registration invite; the code is shown once")
      .option("--uses <n>", "how many registrations the code is good for (default 1)"),
  ).action(async (opts: StorageFlags & { uses?: string }) => {
    const { createInvite } = await import("../../server/administration.js");
    const uses = parseUses(opts.uses);
    const invite = await withAdminStores(opts, (stores) => createInvite(stores, uses === undefined ? {} : { uses }));
    if (opts.json === true) io.out(JSON.stringify(invite));
    else {
      io.out(`invite code (shown once; good for ${invite.uses} registration${invite.uses === 1 ? "" : "s"}):`);
      io.out(invite.code);
    }
  });
}
