/**
 * Bearer-key authentication for `/api` and `/v1` routes: who is calling (run once per request by the authenticated
 * context's hook, contexts/authenticated.ts), and which names their account owns.
 */

import type { Socket } from "node:net";
import type { FastifyRequest } from "fastify";
import { ClawTellError } from "../infra/index.js";
import { KEY_RECORD_TTL_MS, type KeyVerifier } from "./api-keys.js";
import type { DirectoryStore, NameRecord } from "./store/index.js";

export interface Caller {
  /** The name whose key was presented. */
  readonly name: NameRecord;
  readonly accountId: string;
}

export interface Authenticator {
  /** The caller, or throws CT_AUTH_FAILED (401), or CT_RATE_LIMITED (429) after many wrong keys from the address. */
  authenticate(request: FastifyRequest): Promise<Caller>;
  /**
   * The caller at once when the request's connection sent the same header moments ago (the common case of a client
   * on a keep-alive connection), else `undefined`: then `authenticate` decides.
   */
  recognise(request: FastifyRequest): Caller | undefined;
}

export interface AccountNames {
  /** All names of the caller's account (re-read every few seconds: another process may add names). */
  of(caller: Caller): Promise<NameRecord[]>;
}

/** How long the list of an account's names is reused. */
export const ACCOUNT_NAMES_TTL_MS = 2_000;

export function createAuthenticator(verifier: KeyVerifier, now: () => number = Date.now): Authenticator {
  /**
   * The header a keep-alive connection last authenticated with, and its caller: its next requests skip the key's
   * hash. The plain string comparison only ever meets what the same connection sent before, so its timing tells a
   * peer nothing it did not know; another connection starts with nothing here.
   */
  const connections = new WeakMap<Socket, { header: string; caller: Caller; at: number }>();
  const recognise = (request: FastifyRequest): Caller | undefined => {
    const known = connections.get(request.raw.socket);
    const header = request.headers.authorization;
    return known !== undefined && known.header === header && now() - known.at < KEY_RECORD_TTL_MS ? known.caller : undefined;
  };
  return {
    recognise,
    async authenticate(request) {
      const header = request.headers.authorization;
      if (header === undefined || header === "") {
        throw new ClawTellError("CT_AUTH_FAILED", "API key required (Authorization: Bearer claw_…)");
      }
      const socket = request.raw.socket;
      const known = recognise(request);
      if (known !== undefined) return known;
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const name = match?.[1] === undefined ? undefined : await verifier.verify(match[1], request.ip);
      if (name === undefined) throw new ClawTellError("CT_AUTH_FAILED", "Invalid API key");
      const caller = { name, accountId: name.accountId };
      connections.set(socket, { header, caller, at: now() });
      return caller;
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
