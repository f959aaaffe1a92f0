/**
 * The dashboard sign-in port: single-use login links sent by email, and the sessions they start. Both tokens are kept
 * only as SHA-256 hashes (hex): what the database holds cannot be used to sign in.
 */

export interface LoginTokenRecord {
  readonly tokenHash: string;
  readonly accountId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface SessionRecord {
  readonly tokenHash: string;
  readonly accountId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The address the sign-in came from. */
  readonly ip: string | null;
}

/** What one clean-up removed. */
export interface PurgedSessions {
  readonly loginTokens: number;
  readonly sessions: number;
}

export interface SessionStore {
  insertLoginToken(token: LoginTokenRecord): Promise<void>;
  /** Looks the token up without using it. */
  findLoginToken(tokenHash: string): Promise<LoginTokenRecord | undefined>;
  /** Removes the token and answers it: of callers racing for one token, in one process or several, one gets it. */
  takeLoginToken(tokenHash: string): Promise<LoginTokenRecord | undefined>;
  insertSession(session: SessionRecord): Promise<void>;
  findSession(tokenHash: string): Promise<SessionRecord | undefined>;
  /** Whether the session was there. */
  deleteSession(tokenHash: string): Promise<boolean>;
  /** Deletes the login tokens and sessions expired by `now`. */
  purgeSessions(now: number): Promise<PurgedSessions>;
}
