/** The dashboard sign-in port of the embedded backend, on the archive's SQLite database (tables in sqlite-schema.ts). */

import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import type { LoginTokenRecord, SessionRecord, SessionStore } from "./session-store.js";
import { statementCache } from "./sqlite-statements.js";

type Row = Record<string, SQLInputValue>;

const toLoginToken = (row: Row): LoginTokenRecord => ({
  tokenHash: String(row["token_hash"]),
  accountId: String(row["account_id"]),
  createdAt: Number(row["created_at"]),
  expiresAt: Number(row["expires_at"]),
});

const toSession = (row: Row): SessionRecord => ({
  ...toLoginToken(row),
  ip: row["ip"] === null || row["ip"] === undefined ? null : String(row["ip"]),
});

export function createEmbeddedSessions(db: DatabaseSync): SessionStore {
  const stmt = statementCache(db);
  return {
    async insertLoginToken(t) {
      stmt("INSERT INTO login_tokens (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)").run(t.tokenHash, t.accountId, t.createdAt, t.expiresAt);
    },
    async findLoginToken(hash) {
      const row = stmt("SELECT * FROM login_tokens WHERE token_hash = ?").get(hash) as Row | undefined;
      return row === undefined ? undefined : toLoginToken(row);
    },
    async takeLoginToken(hash) {
      const row = stmt("DELETE FROM login_tokens WHERE token_hash = ? RETURNING *").get(hash) as Row | undefined;
      return row === undefined ? undefined : toLoginToken(row);
    },
    async insertSession(s) {
      stmt("INSERT INTO sessions (token_hash, account_id, created_at, expires_at, ip) VALUES (?, ?, ?, ?, ?)").run(
        s.tokenHash,
        s.accountId,
        s.createdAt,
        s.expiresAt,
        s.ip,
      );
    },
    async findSession(hash) {
      const row = stmt("SELECT * FROM sessions WHERE token_hash = ?").get(hash) as Row | undefined;
      return row === undefined ? undefined : toSession(row);
    },
    async deleteSession(hash) {
      return Number(stmt("DELETE FROM sessions WHERE token_hash = ?").run(hash).changes) === 1;
    },
    async purgeSessions(now) {
      return {
        loginTokens: Number(stmt("DELETE FROM login_tokens WHERE expires_at <= ?").run(now).changes),
        sessions: Number(stmt("DELETE FROM sessions WHERE expires_at <= ?").run(now).changes),
      };
    },
  };
}
