// The PostgreSQL the tests use, and whether it answers. Only pg is imported, so that vitest.config.ts can use it too.
import pg from "pg";

/** The database the PostgreSQL tests use: `CLAWTELL_TEST_DATABASE_URL`, or the local default. */
export const TEST_DATABASE_URL = process.env["CLAWTELL_TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";

/** Why PostgreSQL cannot be used, or undefined when it answers. The reason names the database without credentials. */
export async function postgresUnavailable(url = TEST_DATABASE_URL): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (err) {
    return `PostgreSQL at ${url.replace(/\/\/[^@/]*@/, "//")} is not reachable (${err instanceof Error ? err.message : String(err)}); set CLAWTELL_TEST_DATABASE_URL`;
  } finally {
    await client.end().catch(() => undefined);
  }
}
