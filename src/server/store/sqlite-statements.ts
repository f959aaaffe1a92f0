/** Prepared statements of one SQLite database, prepared on first use and kept (the embedded stores' statements). */

import type { DatabaseSync, StatementSync } from "node:sqlite";

export function statementCache(db: DatabaseSync): (sql: string) => StatementSync {
  const cache = new Map<string, StatementSync>();
  return (sql) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
}
