/**
 * Bearer-key authentication for `/api` and `/v1` routes: who is calling (run once per request by the authenticated
 * context's hook, contexts/authenticated.ts), and which names their account owns.
 */

import type { FastifyRequest } from "fastify";
import { ClawTellError } from "../infra/index.js";
import type { KeyVerifier } from "./api-keys.js";
import type { DirectoryStore, NameRecord } from "./store/index.js";

export interface Caller {
  /** The name whose key was presented. */
  readonly name: NameRecord;
  readonly accountId: string;
}

export interface Authenticator {
  /**
   * The caller, or throws CT_AUTH_FAILED (401), or CT_RATE_LIMITED (429) after many wrong keys from the address. The
   * name's record is asked of the directory each time (api-keys.ts), so a replaced key fails on the next request,
   * also on a keep-alive connection that used it before.
   */
  authenticate(request: FastifyRequest): Promise<Caller>;
}

export interface AccountNames {
  /** All names of the caller's account (re-read every few seconds: another process may add names). */
  of(caller: Caller): Promise<NameRecord[]>;
}

/** How long the list of an account's names is reused. */
export const ACCOUNT_NAMES_TTL_MS = 2_000;

export function createAuthenticator(verifier: KeyVerifier): Authenticator {
  return {
    async authenticate(request) {
      const header = request.headers.authorization;
      if (header === undefined || header === "") {
        throw new ClawTellError("CT_AUTH_FAILED", "API key required (Authorization: Bearer claw_…)");
      }
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const name = match?.[1] === undefined ? undefined : await verifier.verify(match[1], request.ip);
      if (name === undefined) throw new ClawTellError("CT_AUTH_FAILED", "Invalid API key");
      return { name, accountId: name.accountId };
    },
  };
}

export function createAccountNames(directory: Pick<DirectoryStore, "listNamesOfAccount">, now: () => number = Date.now): AccountNames {
  const accounts = new Map<string, { names: NameRecord[]; readAt: number }>();
  return {
    async of(caller) {
      const cached = accounts.get(caller.accountId);
      // A caller missing from the cached list is a name created since (by another process): read again.
      const fresh = cached !== undefined && now() - cached.readAt < ACCOUNT_NAMES_TTL_MS;
      if (fresh && cached.names.some((n) => n.id === caller.name.id)) return cached.names;
      const readAt = now();
      const names = await directory.listNamesOfAccount(caller.accountId);
      // Of two reads that crossed, the one started later is kept: names are only ever added.
      const latest = accounts.get(caller.accountId);
      if (latest === undefined || latest.readAt <= readAt) accounts.set(caller.accountId, { names, readAt });
      return names;
    },
  };
}
