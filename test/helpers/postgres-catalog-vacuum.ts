// Vitest global setup: vacuums the system catalogs of the test database before the files start.
//
// Every PostgreSQL test makes a schema of its own and drops it (some 400 a run). Each one leaves dead rows in
// pg_attribute, pg_class, pg_depend and the other catalogs. A database server with autovacuum off never removes them,
// and some CI machines run theirs that way. A run of the suite then left about 1.2 million dead pg_attribute rows,
// and every run after it created and dropped its schemas more slowly than the one before. A vacuum at the start keeps
// that in check: a few seconds when the catalogs are bloated, a fraction of one when they are not. Without PostgreSQL
// it does nothing; the tests that need it skip themselves, saying why.
import pg from "pg";
import { TEST_DATABASE_URL } from "./test-database.js";

/** The catalogs a schema's tables, indexes, sequences, defaults, constraints and triggers write to. */
const CATALOGS = ["pg_attribute", "pg_class", "pg_depend", "pg_index", "pg_type", "pg_constraint", "pg_trigger", "pg_attrdef", "pg_sequence", "pg_namespace"];

export default async function vacuumCatalogs(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch {
    return;
  }
  try {
    // A user who may not vacuum a catalog gets a warning for it, not an error.
    await client.query(`VACUUM ${CATALOGS.map((c) => `pg_catalog.${c}`).join(", ")}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
