/** Secrets every process on the database shares: the first process to ask creates one, the others read it. */

import { randomBytes } from "node:crypto";
import { ClawTellError } from "../../../infra/index.js";
import type { Database } from "./pg-database.js";

/** The named secret (32 random bytes), created once for the whole deployment. */
export async function sharedSecret(db: Database, name: string): Promise<Uint8Array> {
  await db.query("INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", [name, randomBytes(32)]);
  const [row] = await db.query<{ value: Buffer }>("SELECT value FROM server_secrets WHERE name = $1", [name]);
  if (row === undefined) throw new ClawTellError("CT_INTERNAL", `the shared secret ${name} was not stored`);
  return new Uint8Array(row.value);
}
