/**
 * The profile port on PostgreSQL (tables of migration 6): an update reads and replaces the profile and its terms in one
 * transaction, under a lock per profile so concurrent changes from any process apply one after the other.
 */

import type { ProfileFields, ProfileStore, StoredProfile } from "../profile-store.js";
import { prefixEnd } from "../profile-store.js";
import { directorySearchSql } from "../profile-search-sql.js";
import type { Database } from "./pg-database.js";
import { encodeParam } from "./pg-text.js";

interface ProfileRow {
  name_id: string;
  name: string;
  fields: ProfileFields;
  visible: boolean;
  listed: boolean;
  updated_at: string;
}

const toProfile = (row: ProfileRow): StoredProfile => ({
  nameId: Number(row.name_id),
  name: row.name,
  fields: row.fields,
  visible: row.visible,
  listed: row.listed,
  updatedAt: Number(row.updated_at),
});

export function createPostgresProfiles(db: Database): ProfileStore {
  return {
    async find(nameId) {
      const [row] = await db.query<ProfileRow>("SELECT * FROM profiles WHERE name_id = $1", [nameId]);
      return row === undefined ? undefined : toProfile(row);
    },
    async update(nameId, change) {
      const row = await db.transaction(async (client) => {
        // Changes of one profile wait for each other, also when it has no row yet to lock.
        await client.query("SELECT pg_advisory_xact_lock(hashtext('clawtell-profile'), ($1::bigint % 2147483647)::int)", [nameId]);
        const [current] = (await client.query<ProfileRow>("SELECT * FROM profiles WHERE name_id = $1", [nameId])).rows;
        const profile = change(current === undefined ? undefined : toProfile(current));
        // jsonb holds no U+0000, and the fields refuse control characters: the document goes in as JSON text.
        const saved = await client.query<ProfileRow>(
          `INSERT INTO profiles (name_id, name, fields, visible, listed, updated_at) VALUES ($1, $2, $3::jsonb, $4, $5, $6)
           ON CONFLICT (name_id) DO UPDATE SET name = excluded.name, fields = excluded.fields, visible = excluded.visible,
             listed = excluded.listed, updated_at = excluded.updated_at
           RETURNING *`,
          [nameId, profile.name, JSON.stringify(profile.fields), profile.visible, profile.listed, profile.updatedAt].map(encodeParam),
        );
        await client.query("DELETE FROM profile_terms WHERE name_id = $1", [nameId]);
        if (profile.terms.length > 0) {
          await client.query(
            `INSERT INTO profile_terms (kind, term, name_id)
             SELECT kind, term, $3 FROM unnest($1::text[], $2::text[]) AS t(kind, term) ON CONFLICT DO NOTHING`,
            [profile.terms.map((t) => t.kind), profile.terms.map((t) => encodeParam(t.term)), nameId],
          );
        }
        return saved.rows[0];
      });
      if (row === undefined) throw new Error(`the profile of name ${nameId} was not stored`);
      return toProfile(row);
    },
    async search(query) {
      const { sql, params } = directorySearchSql(query, { placeholder: (n) => `$${n}`, listed: "listed", prefixEnd });
      return (await db.query<ProfileRow>(sql, params)).map(toProfile);
    },
  };
}
