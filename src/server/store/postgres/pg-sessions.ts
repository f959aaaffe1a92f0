/** The dashboard sign-in port on PostgreSQL (migration 4). */

import type { LoginTokenRecord, SessionRecord, SessionStore } from "../session-store.js";
import type { Database } from "./pg-database.js";

interface LoginTokenRow {
  token_hash: string;
  account_id: string;
  created_at: string;
  expires_at: string;
}

interface SessionRow extends LoginTokenRow {
  ip: string | null;
}

const toLoginToken = (row: LoginTokenRow): LoginTokenRecord => ({
  tokenHash: row.token_hash,
  accountId: row.account_id,
  createdAt: Number(row.created_at),
  expiresAt: Number(row.expires_at),
});

const toSession = (row: SessionRow): SessionRecord => ({ ...toLoginToken(row), ip: row.ip });

export function createPostgresSessions(db: Database): SessionStore {
  return {
    async insertLoginToken(t) {
      await db.query("INSERT INTO login_tokens (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)", [
        t.tokenHash,
        t.accountId,
        t.createdAt,
        t.expiresAt,
      ]);
    },
    async findLoginToken(hash) {
      const [row] = await db.query<LoginTokenRow>("SELECT * FROM login_tokens WHERE token_hash = $1", [hash]);
      return row === undefined ? undefined : toLoginToken(row);
    },
    async takeLoginToken(hash) {
      const [row] = await db.query<LoginTokenRow>("DELETE FROM login_tokens WHERE token_hash = $1 RETURNING *", [hash]);
      return row === undefined ? undefined : toLoginToken(row);
    },
    async insertSession(s) {
      await db.query("INSERT INTO sessions (token_hash, account_id, created_at, expires_at, ip) VALUES ($1, $2, $3, $4, $5)", [
        s.tokenHash,
        s.accountId,
        s.createdAt,
        s.expiresAt,
        s.ip,
      ]);
    },
    async findSession(hash) {
      const [row] = await db.query<SessionRow>("SELECT * FROM sessions WHERE token_hash = $1", [hash]);
      return row === undefined ? undefined : toSession(row);
    },
    async deleteSession(hash) {
      return (await db.query("DELETE FROM sessions WHERE token_hash = $1 RETURNING token_hash", [hash])).length === 1;
    },
    async purgeSessions(now) {
      const [loginTokens, sessions] = await Promise.all([
        db.query("DELETE FROM login_tokens WHERE expires_at <= $1 RETURNING token_hash", [now]),
        db.query("DELETE FROM sessions WHERE expires_at <= $1 RETURNING token_hash", [now]),
      ]);
      return { loginTokens: loginTokens.length, sessions: sessions.length };
    },
  };
}
