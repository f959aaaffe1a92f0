/**
 * The profile port of the embedded backend, on the archive's SQLite connection (tables in sqlite-schema.ts). Each call
 * runs whole inside one turn of the event loop; an update reads, replaces the profile row and its terms in one transaction.
 */

import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import { prefixEnd, type ProfileFields, type ProfileStore, type StoredProfile } from "./profile-store.js";
import { directorySearchSql } from "./profile-search-sql.js";

type Row = Record<string, SQLInputValue>;

function toProfile(row: Row): StoredProfile {
  return {
    nameId: Number(row["name_id"]),
    name: String(row["name"]),
    fields: JSON.parse(String(row["fields"])) as ProfileFields,
    visible: Number(row["visible"]) === 1,
    listed: Number(row["listed"]) === 1,
    updatedAt: Number(row["updated_at"]),
  };
}

export function createSqliteProfiles(db: DatabaseSync): ProfileStore {
  const cache = new Map<string, StatementSync>();
  const stmt = (sql: string): StatementSync => {
    let s = cache.get(sql);
    if (s === undefined) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  const find = (nameId: number): StoredProfile | undefined => {
    const row = stmt("SELECT * FROM profiles WHERE name_id = ?").get(nameId) as Row | undefined;
    return row === undefined ? undefined : toProfile(row);
  };

  return {
    find: async (nameId) => find(nameId),
    async update(nameId, change) {
      db.exec("BEGIN IMMEDIATE");
      try {
        const profile = change(find(nameId));
        stmt(
          `INSERT INTO profiles (name_id, name, fields, visible, listed, updated_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (name_id) DO UPDATE SET name = excluded.name, fields = excluded.fields, visible = excluded.visible,
             listed = excluded.listed, updated_at = excluded.updated_at`,
        ).run(nameId, profile.name, JSON.stringify(profile.fields), profile.visible ? 1 : 0, profile.listed ? 1 : 0, profile.updatedAt);
        stmt("DELETE FROM profile_terms WHERE name_id = ?").run(nameId);
        const insert = stmt("INSERT OR IGNORE INTO profile_terms (kind, term, name_id) VALUES (?, ?, ?)");
        for (const { kind, term } of profile.terms) insert.run(kind, term, nameId);
        db.exec("COMMIT");
      } catch (err) {
        db.exec("ROLLBACK");
        throw err;
      }
      const stored = find(nameId);
      if (stored === undefined) throw new Error(`the profile of name ${nameId} was not stored`);
      return stored;
    },
    async search(query) {
      const { sql, params } = directorySearchSql(query, { placeholder: () => "?", listed: "listed = 1", prefixEnd });
      return (stmt(sql).all(...(params as SQLInputValue[])) as Row[]).map(toProfile);
    },
  };
}
