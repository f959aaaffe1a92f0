/**
 * Dashboard sign-in by email link, and the sessions it starts.
 *
 * - `sendLoginLink`: for an email that has an account, a single-use link (a 256-bit token, kept only as its SHA-256)
 *   valid {@link LOGIN_LINK_TTL_MS}; for any other email, nothing. Everything after the email's shape is checked
 *   happens in the background, so the answer is the same, and as fast, either way: no account enumeration.
 * - `signIn` uses the link's token up (one caller wins) and starts a session of {@link SESSION_TTL_MS}: a new 256-bit
 *   token, the cookie's value, kept only as its SHA-256.
 * - Each session has a CSRF token derived from its token (a SHA-256 under another label): state-changing requests
 *   authenticated by the cookie must carry it in `X-CSRF-Token`. A cross-site page can neither read the cookie nor
 *   compute the token.
 */

import { hash } from "node:crypto";
import { ClawTellError, type Clock } from "../infra/index.js";
import { parseEmail } from "./account-rules.js";
import { recordAudit } from "./audit.js";
import { loginMail } from "./mail-texts.js";
import type { Mailer } from "./mailer.js";
import { newToken, tokenHash, wellFormedToken } from "./secret-tokens.js";
import type { DirectoryStore, SessionStore } from "./store/index.js";

/** How long a sign-in link works. */
export const LOGIN_LINK_TTL_MS = 15 * 60 * 1000;
/** How long a session lasts (from sign-in; it is not extended by use). */
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** The path of the sign-in link (a page that confirms with a POST to the same path). */
export const SIGN_IN_PATH = "/api/auth/verify";
/** Where a browser goes once signed in. */
export const DASHBOARD_PATH = "/dashboard";

/** A session found by its cookie. */
export interface ActiveSession {
  readonly tokenHash: string;
  readonly accountId: string;
  readonly expiresAt: number;
  /** What `X-CSRF-Token` must carry on the session's state-changing requests. */
  readonly csrfToken: string;
}

export interface StartedSession extends ActiveSession {
  /** The cookie's value. */
  readonly token: string;
  readonly email: string;
}

export interface Sessions {
  /** Checks the email's shape (CT_BAD_REQUEST), then mails a link in the background if the email has an account. */
  sendLoginLink(rawEmail: string, ip: string | null): void;
  /** The email a sign-in link is for, while it is unused and unexpired; nothing is used up. */
  peekLoginLink(rawToken: string): Promise<{ email: string } | undefined>;
  /** Uses the link up and starts a session; CT_AUTH_FAILED for a link unknown, used or expired. */
  signIn(rawToken: string, ip: string | null): Promise<StartedSession>;
  /** The session of a cookie's value, unless it is unknown or has ended. */
  find(cookieValue: string): Promise<ActiveSession | undefined>;
  signOut(session: ActiveSession, ip: string | null): Promise<void>;
}

export interface SessionDeps {
  readonly directory: DirectoryStore;
  readonly sessions: SessionStore;
  readonly mailer: Mailer;
  readonly clock: Clock;
  readonly origin: () => string;
}

/** The CSRF token bound to a session: derived from its cookie's value, so nothing more is stored. */
export function csrfTokenFor(sessionToken: string): string {
  return hash("sha256", `clawtell-csrf:${sessionToken}`, "base64url");
}

export function createSessions(deps: SessionDeps): Sessions {
  const { directory, sessions, clock } = deps;

  const emailOf = async (accountId: string): Promise<string> => (await directory.findAccountById(accountId))?.email ?? accountId;

  return {
    sendLoginLink(rawEmail, ip) {
      const email = parseEmail(rawEmail);
      deps.mailer.sendInBackground(async () => {
        const account = await directory.findAccountByEmail(email);
        if (account === undefined) return undefined;
        const token = newToken();
        const now = clock.now();
        await sessions.insertLoginToken({ tokenHash: tokenHash(token), accountId: account.id, createdAt: now, expiresAt: now + LOGIN_LINK_TTL_MS });
        await recordAudit(directory, clock, { action: "login.link_sent", name: null, actor: email, ip, detail: `account ${account.id}` });
        const origin = deps.origin();
        const link = `${origin}${SIGN_IN_PATH}?token=${token}`;
        return { to: email, ...loginMail({ link, validForMs: LOGIN_LINK_TTL_MS, origin }), link, purpose: "login" };
      });
    },

    async peekLoginLink(rawToken) {
      const token = wellFormedToken(rawToken);
      const found = token === undefined ? undefined : await sessions.findLoginToken(tokenHash(token));
      if (found === undefined || found.expiresAt <= clock.now()) return undefined;
      return { email: await emailOf(found.accountId) };
    },

    async signIn(rawToken, ip) {
      const token = wellFormedToken(rawToken);
      const link = token === undefined ? undefined : await sessions.takeLoginToken(tokenHash(token));
      const now = clock.now();
      if (link === undefined || link.expiresAt <= now) {
        throw new ClawTellError("CT_AUTH_FAILED", "token: this sign-in link has expired or was used already; ask for a new one", { field: "token" });
      }
      const sessionToken = newToken();
      const session = { tokenHash: tokenHash(sessionToken), accountId: link.accountId, createdAt: now, expiresAt: now + SESSION_TTL_MS, ip };
      await sessions.insertSession(session);
      const email = await emailOf(link.accountId);
      await recordAudit(directory, clock, { action: "login", name: null, actor: email, ip, detail: `account ${link.accountId}` });
      return { ...session, token: sessionToken, email, csrfToken: csrfTokenFor(sessionToken) };
    },

    async find(cookieValue) {
      const token = wellFormedToken(cookieValue);
      const found = token === undefined ? undefined : await sessions.findSession(tokenHash(token));
      if (found === undefined || token === undefined || found.expiresAt <= clock.now()) return undefined;
      return { tokenHash: found.tokenHash, accountId: found.accountId, expiresAt: found.expiresAt, csrfToken: csrfTokenFor(token) };
    },

    async signOut(session, ip) {
      await sessions.deleteSession(session.tokenHash);
      await recordAudit(directory, clock, { action: "logout", name: null, actor: await emailOf(session.accountId), ip, detail: `account ${session.accountId}` });
    },
  };
}
