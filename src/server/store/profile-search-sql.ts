/**
 * The directory search as one SQL statement, the same on both backends but for how a parameter is written: listed
 * profiles in name order after the cursor (the partial index on `profiles(name) WHERE listed`), each filter a
 * membership in the term index (`profile_terms (kind, term, name_id)`): a category or skill by equality, each word of
 * the query by a prefix range.
 */

import type { DirectoryQuery } from "./profile-store.js";

export interface SqlDialect {
  /** The n-th parameter (1-based): `?` or `$n`. */
  readonly placeholder: (n: number) => string;
  /** The condition that a profile is listed. */
  readonly listed: string;
  readonly prefixEnd: (prefix: string) => string;
}

export function directorySearchSql(query: DirectoryQuery, dialect: SqlDialect): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return dialect.placeholder(params.length);
  };
  const where = [dialect.listed];
  if (query.after !== undefined) where.push(`name > ${param(query.after)}`);
  const member = (condition: string): string => `name_id IN (SELECT name_id FROM profile_terms WHERE ${condition})`;
  if (query.category !== undefined) where.push(member(`kind = 'category' AND term = ${param(query.category)}`));
  if (query.skill !== undefined) where.push(member(`kind = 'skill' AND term = ${param(query.skill)}`));
  for (const word of query.words) {
    where.push(member(`kind = 'word' AND term >= ${param(word)} AND term < ${param(dialect.prefixEnd(word))}`));
  }
  const sql = `SELECT * FROM profiles WHERE ${where.join(" AND ")} ORDER BY name LIMIT ${param(query.limit)}`;
  return { sql, params };
}
