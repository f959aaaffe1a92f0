/** The profile port on PostgreSQL (tables of migration 6): a save replaces the profile and its terms in one transaction. */

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
    async save(profile) {
      const kinds = profile.terms.map((t) => t.kind);
      const terms = profile.terms.map((t) => t.term);
      const row = await db.transaction(async (client) => {
        // jsonb holds no U+0000, and the fields refuse control characters: the document goes in as JSON text.
        const saved = await client.query<ProfileRow>(
          `INSERT INTO profiles (name_id, name, fields, visible, listed, updated_at) VALUES ($1, $2, $3::jsonb, $4, $5, $6)
           ON CONFLICT (name_id) DO UPDATE SET name = excluded.name, fields = excluded.fields, visible = excluded.visible,
             listed = excluded.listed, updated_at = excluded.updated_at
           RETURNING *`,
          [profile.nameId, profile.name, JSON.stringify(profile.fields), profile.visible, profile.listed, profile.updatedAt].map(encodeParam),
        );
        await client.query("DELETE FROM profile_terms WHERE name_id = $1", [profile.nameId]);
        if (terms.length > 0) {
          await client.query(
            `INSERT INTO profile_terms (kind, term, name_id)
             SELECT kind, term, $3 FROM unnest($1::text[], $2::text[]) AS t(kind, term) ON CONFLICT DO NOTHING`,
            [kinds, terms.map((t) => encodeParam(t)), profile.nameId],
          );
        }
        return saved.rows[0];
      });
      if (row === undefined) throw new Error(`the profile of ${profile.name} was not stored`);
      return toProfile(row);
    },
    async search(query) {
      const { sql, params } = directorySearchSql(query, { placeholder: (n) => `$${n}`, listed: "listed", prefixEnd });
      return (await db.query<ProfileRow>(sql, params)).map(toProfile);
    },
  };
}
