/** The registration port on PostgreSQL (migration 4): each call one statement; guarded updates decide races. */

import type { RegistrationRecord, RegistrationStore } from "../registration-store.js";
import type { Database } from "./pg-database.js";

interface RegistrationRow {
  id: string;
  name: string;
  email: string;
  poll_hash: string;
  verify_hash: string;
  verify_url: string | null;
  ip: string | null;
  created_at: string;
  expires_at: string;
  verified_at: string | null;
  key_issued_at: string | null;
  failure: string | null;
}

const num = (value: string | null): number | null => (value === null ? null : Number(value));

const toRegistration = (row: RegistrationRow): RegistrationRecord => ({
  id: row.id,
  name: row.name,
  email: row.email,
  pollHash: row.poll_hash,
  verifyHash: row.verify_hash,
  verifyUrl: row.verify_url,
  ip: row.ip,
  createdAt: Number(row.created_at),
  expiresAt: Number(row.expires_at),
  verifiedAt: num(row.verified_at),
  keyIssuedAt: num(row.key_issued_at),
  failure: row.failure,
});

export function createPostgresRegistrations(db: Database): RegistrationStore {
  const findBy = async (column: "poll_hash" | "verify_hash", value: string): Promise<RegistrationRecord | undefined> => {
    const [row] = await db.query<RegistrationRow>(`SELECT * FROM registrations WHERE ${column} = $1`, [value]);
    return row === undefined ? undefined : toRegistration(row);
  };
  return {
    async insertRegistration(r) {
      await db.query(
        `INSERT INTO registrations (id, name, email, poll_hash, verify_hash, verify_url, ip, created_at, expires_at, verified_at,
           key_issued_at, failure) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [r.id, r.name, r.email, r.pollHash, r.verifyHash, r.verifyUrl, r.ip, r.createdAt, r.expiresAt, r.verifiedAt, r.keyIssuedAt, r.failure],
      );
    },
    findRegistrationByPollHash: (hash) => findBy("poll_hash", hash),
    findRegistrationByVerifyHash: (hash) => findBy("verify_hash", hash),
    async markRegistrationVerified(id, at) {
      const rows = await db.query(
        `UPDATE registrations SET verified_at = $2, verify_url = NULL
          WHERE id = $1 AND verified_at IS NULL AND failure IS NULL AND expires_at > $2 RETURNING id`,
        [id, at],
      );
      return rows.length === 1;
    },
    async failRegistration(id, failure) {
      await db.query("UPDATE registrations SET failure = $2, verify_url = NULL WHERE id = $1", [id, failure]);
    },
    async claimRegistrationKey(id, at) {
      const rows = await db.query(
        `UPDATE registrations SET key_issued_at = $2
          WHERE id = $1 AND verified_at IS NOT NULL AND failure IS NULL AND key_issued_at IS NULL RETURNING id`,
        [id, at],
      );
      return rows.length === 1;
    },
    async listPendingRegistrations(now) {
      const rows = await db.query<RegistrationRow>(
        "SELECT * FROM registrations WHERE verified_at IS NULL AND failure IS NULL AND expires_at > $1 ORDER BY created_at, id",
        [now],
      );
      return rows.map(toRegistration);
    },
    async purgeRegistrations(before) {
      return (await db.query("DELETE FROM registrations WHERE expires_at < $1 RETURNING id", [before])).length;
    },
    async insertInvite(invite) {
      await db.query("INSERT INTO invites (code_hash, uses_left, created_at) VALUES ($1, $2, $3)", [invite.codeHash, invite.uses, invite.createdAt]);
    },
    async useInvite(codeHash) {
      const rows = await db.query("UPDATE invites SET uses_left = uses_left - 1 WHERE code_hash = $1 AND uses_left > 0 RETURNING code_hash", [codeHash]);
      return rows.length === 1;
    },
  };
}
