// Attachment bytes on PostgreSQL: a streamed file is kept in 1 MiB rows and read back row by row; a file kept in one
// row (written whole, or before the chunks existed) reads as before; a write that fails leaves nothing.
import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresStorage, type PostgresStorage } from "../../../src/server/index.js";
import { FILE_CHUNK_BYTES } from "../../../src/server/store/postgres/pg-files.js";
import { createTestSchema, postgresUnavailable, TEST_DATABASE_URL } from "../../helpers/storage-backends.js";

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) process.stderr.write(`postgres file chunks: skipping: ${unavailable}\n`);

const digest = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

describe.skipIf(unavailable !== undefined)("postgres file chunks", () => {
  let storage: PostgresStorage;
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let admin: pg.Client;

  beforeAll(async () => {
    schema = await createTestSchema();
    storage = await openPostgresStorage({ url: TEST_DATABASE_URL, schema: schema.schema });
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await storage.close();
    await schema.drop();
  });

  const readAll = async (fileId: string): Promise<{ bytes: Buffer; pieces: number }> => {
    const chunks: Buffer[] = [];
    for await (const chunk of storage.files.read(fileId)) chunks.push(chunk as Buffer);
    return { bytes: Buffer.concat(chunks), pieces: chunks.length };
  };
  const rowsOf = async (fileId: string): Promise<number> =>
    Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema.schema}.file_chunks WHERE file_id = $1`, [fileId])).rows[0]?.n);

  it("stores a stream in 1 MiB rows whatever sizes it arrives in, and reads it back row by row", async () => {
    const content = randomBytes(2 * FILE_CHUNK_BYTES + 12_345);
    async function* arriving(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < content.length; at += 100_000) yield content.subarray(at, at + 100_000);
    }
    const fileId = await storage.files.save(arriving());
    expect(await rowsOf(fileId)).toBe(3);
    const back = await readAll(fileId);
    expect(digest(back.bytes)).toBe(digest(content));
    expect(back.pieces).toBe(3);

    await storage.files.remove([fileId]);
    expect(await rowsOf(fileId)).toBe(0);
  });

  it("reads a file kept in one row, and leaves nothing of a stream that fails", async () => {
    const whole = randomBytes(5_000);
    const fileId = await storage.files.save(whole);
    expect(await rowsOf(fileId)).toBe(0);
    expect((await readAll(fileId)).bytes.equals(whole)).toBe(true);

    const before = await storage.files.listWrittenBefore(Number.MAX_SAFE_INTEGER);
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield randomBytes(FILE_CHUNK_BYTES + 1);
      throw new Error("the sender went away");
    }
    await expect(storage.files.save(failing())).rejects.toThrow("the sender went away");
    expect(await storage.files.listWrittenBefore(Number.MAX_SAFE_INTEGER)).toEqual(before);
    expect(Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema.schema}.file_chunks`)).rows[0]?.n)).toBe(0);
  });
});
