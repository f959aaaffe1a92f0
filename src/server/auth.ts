/**
 * Authentication for `/api` and `/v1` routes: who is calling (run once per request by the authenticated context's
 * hook, contexts/authenticated.ts), and which names their account owns. A request carries either an API key
 * (`Authorization: Bearer …`, which wins when both are present) or a dashboard session cookie (sessions.ts).
 */

import type { FastifyRequest } from "fastify";
import { ClawTellError } from "../infra/index.js";
import { stripNamePrefix } from "../protocol/index.js";
import type { KeyVerifier } from "./api-keys.js";
import { sameSecret } from "./secret-tokens.js";
import { sessionCookieOf } from "./session-cookie.js";
import type { ActiveSession, Sessions } from "./sessions.js";
import type { DirectoryStore, NameRecord } from "./store/index.js";

/** A caller acting as one name: what the routes that act for a name read (contexts/caller.ts, `callerOf`). */
export interface Caller {
  /** The name whose key was presented, or the name a session chose with `X-ClawTell-Name`. */
  readonly name: NameRecord;
  readonly accountId: string;
}

/** A request authenticated by a name's API key. */
export interface KeyCaller extends Caller {
  readonly via: "key";
}

/** A request authenticated by a dashboard session: its account, and the name it chose, if any. */
export interface SessionCaller {
  readonly via: "session";
  readonly accountId: string;
  readonly session: ActiveSession;
  /** The name of the account the request acts as (`X-ClawTell-Name`); null when it named none. */
  readonly name: NameRecord | null;
}

/** Who a request of the authenticated context comes from (`request.caller`). */
export type RequestCaller = KeyCaller | SessionCaller;

/** The header a session's request names the account's name with, for the routes that act for one name. */
export const NAME_HEADER = "x-clawtell-name";
/** The header a session's state-changing request carries its CSRF token in. */
export const CSRF_HEADER = "x-csrf-token";

/** Methods that change nothing, so a session's request needs no CSRF token. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface Authenticator {
  /**
   * The caller, or throws CT_AUTH_FAILED (401), or CT_RATE_LIMITED (429) after many wrong keys from the address. The
   * name's record is asked of the directory each time (api-keys.ts), so a replaced key fails on the next request,
   * also on a keep-alive connection that used it before; a session is read each time too, so a signed-out session
   * fails on the next request. A session's state-changing request without its CSRF token, or naming a name of
   * another account, is a 403.
   */
  authenticate(request: FastifyRequest): Promise<RequestCaller>;
}

export interface AccountNames {
  /** All names of the caller's account (re-read every few seconds: another process may add names). */
  of(caller: Caller): Promise<NameRecord[]>;
}

/** Keys remembered per keep-alive connection (see createAuthenticator). */
const HEADERS_PER_CONNECTION = 4;

/** How long the list of an account's names is reused. */
export const ACCOUNT_NAMES_TTL_MS = 2_000;

/** What sessions need besides the key verifier: the sessions, and the directory to find a chosen name in. */
export interface SessionAuthentication {
  readonly sessions: Pick<Sessions, "find">;
  readonly directory: Pick<DirectoryStore, "findNameByName">;
}

export function createAuthenticator(verifier: KeyVerifier, sessionAuth?: SessionAuthentication): Authenticator {
  /**
   * The `Authorization` headers a keep-alive connection was authenticated with (its last {@link HEADERS_PER_CONNECTION}:
   * a client's pool may carry several of its names' keys on one connection), and their callers: the connection's next
   * requests with one of them skip the key's parse and hash, but not the directory (`recheck`), so a replaced key or a
   * deleted name still fails on the next request. The plain string comparison only ever meets what the same connection
   * sent before, so its timing tells a peer nothing it did not know; another connection starts with nothing.
   */
  const connections = new WeakMap<object, Array<{ readonly header: string; caller: KeyCaller }>>();
  const forget = (request: FastifyRequest, header: string): void => {
    const entries = connections.get(request.raw.socket);
    const at = entries?.findIndex((entry) => entry.header === header) ?? -1;
    if (at >= 0) entries?.splice(at, 1);
  };
  const remember = (request: FastifyRequest, header: string, caller: KeyCaller): void => {
    const socket = request.raw.socket;
    const entries = connections.get(socket) ?? [];
    if (entries.length === 0) connections.set(socket, entries);
    if (entries.length >= HEADERS_PER_CONNECTION) entries.shift();
    entries.push({ header, caller });
  };

  const bySession = async (request: FastifyRequest, cookie: string, auth: SessionAuthentication): Promise<SessionCaller> => {
    const session = await auth.sessions.find(cookie);
    if (session === undefined) throw new ClawTellError("CT_AUTH_FAILED", "Dashboard session unknown or ended; sign in again");
    if (!SAFE_METHODS.has(request.method)) {
      const csrf = headerValue(request, CSRF_HEADER);
      if (csrf === undefined || !sameSecret(csrf, session.csrfToken)) {
        throw new ClawTellError("CT_FORBIDDEN", "X-CSRF-Token: a dashboard session's request that changes something needs its CSRF token (GET /api/auth/session answers it)", {
          field: CSRF_HEADER,
        });
      }
    }
    const chosen = headerValue(request, NAME_HEADER);
    if (chosen === undefined) return { via: "session", accountId: session.accountId, session, name: null };
    const name = await auth.directory.findNameByName(stripNamePrefix(chosen));
    if (name === undefined || name.accountId !== session.accountId) {
      throw new ClawTellError("CT_FORBIDDEN", `X-ClawTell-Name: "${chosen.slice(0, 60)}" is not a name of this session's account`, { field: NAME_HEADER });
    }
    return { via: "session", accountId: session.accountId, session, name };
  };

  return {
    async authenticate(request) {
      const header = request.headers.authorization;
      if (header === undefined || header === "") {
        const cookie = sessionAuth === undefined ? undefined : sessionCookieOf(request);
        if (cookie !== undefined && sessionAuth !== undefined) return bySession(request, cookie, sessionAuth);
        throw new ClawTellError("CT_AUTH_FAILED", "API key required (Authorization: Bearer claw_…)");
      }
      const known = connections.get(request.raw.socket)?.find((entry) => entry.header === header);
      if (known !== undefined) {
        const name = await verifier.recheck(known.caller.name);
        if (name !== undefined) {
          // The same record object while nothing changed it (the directory's memory), so the caller is reused as it is.
          if (name !== known.caller.name) known.caller = { via: "key", name, accountId: name.accountId };
          return known.caller;
        }
        forget(request, header);
      }
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const name = match?.[1] === undefined ? undefined : await verifier.verify(match[1], request.ip);
      if (name === undefined) throw new ClawTellError("CT_AUTH_FAILED", "Invalid API key");
      const caller: KeyCaller = { via: "key", name, accountId: name.accountId };
      remember(request, header, caller);
      return caller;
    },
  };
}

/** A single-valued header, trimmed; undefined when absent or empty. */
function headerValue(request: FastifyRequest, name: string): string | undefined {
  const raw = request.headers[name];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return value === undefined || value === "" ? undefined : value;
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
