/**
 * The registration port of the embedded backend, on the archive's SQLite database (tables in sqlite-schema.ts). Each
 * call is one statement, so a guarded update (verify once, hand the key over once) is decided by SQLite, also against
 * `clawtell admin` in another process.
 */

import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import type { RegistrationRecord, RegistrationStore } from "./registration-store.js";
import { statementCache } from "./sqlite-statements.js";

type Row = Record<string, SQLInputValue>;

const text = (value: SQLInputValue | undefined): string | null => (value === null || value === undefined ? null : String(value));
const num = (value: SQLInputValue | undefined): number | null => (value === null || value === undefined ? null : Number(value));

function toRegistration(row: Row): RegistrationRecord {
  return {
    id: String(row["id"]),
    name: String(row["name"]),
    email: String(row["email"]),
    pollHash: String(row["poll_hash"]),
    verifyHash: String(row["verify_hash"]),
    verifyUrl: text(row["verify_url"]),
    ip: text(row["ip"]),
    createdAt: Number(row["created_at"]),
    expiresAt: Number(row["expires_at"]),
    verifiedAt: num(row["verified_at"]),
    keyIssuedAt: num(row["key_issued_at"]),
    failure: text(row["failure"]),
  };
}

export function createEmbeddedRegistrations(db: DatabaseSync): RegistrationStore {
  const stmt = statementCache(db);
  const findBy = (column: "poll_hash" | "verify_hash", value: string): RegistrationRecord | undefined => {
    const row = stmt(`SELECT * FROM registrations WHERE ${column} = ?`).get(value) as Row | undefined;
    return row === undefined ? undefined : toRegistration(row);
  };
  return {
    async insertRegistration(r) {
      stmt(
        `INSERT INTO registrations (id, name, email, poll_hash, verify_hash, verify_url, ip, created_at, expires_at, verified_at,
           key_issued_at, failure) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(r.id, r.name, r.email, r.pollHash, r.verifyHash, r.verifyUrl, r.ip, r.createdAt, r.expiresAt, r.verifiedAt, r.keyIssuedAt, r.failure);
    },
    findRegistrationByPollHash: async (hash) => findBy("poll_hash", hash),
    findRegistrationByVerifyHash: async (hash) => findBy("verify_hash", hash),
    async markRegistrationVerified(id, at) {
      const result = stmt(
        `UPDATE registrations SET verified_at = ?, verify_url = NULL
          WHERE id = ? AND verified_at IS NULL AND failure IS NULL AND expires_at > ?`,
      ).run(at, id, at);
      return Number(result.changes) === 1;
    },
    async failRegistration(id, failure) {
      stmt("UPDATE registrations SET failure = ?, verify_url = NULL WHERE id = ?").run(failure, id);
    },
    async claimRegistrationKey(id, at) {
      const result = stmt(
        "UPDATE registrations SET key_issued_at = ? WHERE id = ? AND verified_at IS NOT NULL AND failure IS NULL AND key_issued_at IS NULL",
      ).run(at, id);
      return Number(result.changes) === 1;
    },
    async listPendingRegistrations(now) {
      const rows = stmt(
        "SELECT * FROM registrations WHERE verified_at IS NULL AND failure IS NULL AND expires_at > ? ORDER BY created_at, id",
      ).all(now) as Row[];
      return rows.map(toRegistration);
    },
    async purgeRegistrations(before) {
      return Number(stmt("DELETE FROM registrations WHERE expires_at < ?").run(before).changes);
    },
    async insertInvite(invite) {
      stmt("INSERT INTO invites (code_hash, uses_left, created_at) VALUES (?, ?, ?)").run(invite.codeHash, invite.uses, invite.createdAt);
    },
    async useInvite(codeHash) {
      return Number(stmt("UPDATE invites SET uses_left = uses_left - 1 WHERE code_hash = ? AND uses_left > 0").run(codeHash).changes) === 1;
    },
  };
}
