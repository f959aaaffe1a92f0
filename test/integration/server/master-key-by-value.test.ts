// Rotating a master key given by value (CLAWTELL_MASTER_KEY), as the README tells it: restart with "<new>,<old>",
// wait until the server has re-sealed, restart with "<new>" alone. Real servers on one data folder (or, in the
// PostgreSQL run, one schema): every message, attachment and held approval sealed under the old key reads after both
// restarts, and none is lost.
import { randomBytes } from "node:crypto";
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SEAL_PREFIX, derivedKeyId, parseMasterKey, type SealedFileStore } from "../../../src/server/crypto/index.js";
import { createName, startServer, type CreatedName, type RunningServer } from "../../../src/server/index.js";
import { SEALED_TABLES } from "../../../src/server/store/index.js";
import { readSealedContent } from "../../helpers/master-key.js";
import { createTestSchema, urlWithSchema } from "../../helpers/storage-backends.js";
import { api, TEST_BCRYPT_COST, testBackend } from "../../helpers/test-server.js";

const OLD_KEY = randomBytes(32).toString("hex");
const NEW_KEY = randomBytes(32).toString("base64");
const MESSAGES = 12;

const text = (content: string) => ({ data: Buffer.from(content).toString("base64"), filename: "notes.txt", mime_type: "text/plain" });

describe("rotating a master key given by value", () => {
  let dir: string;
  let schema: Awaited<ReturnType<typeof createTestSchema>> | undefined;
  let server: RunningServer | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-key-by-value-"));
    schema = testBackend() === "postgres" ? await createTestSchema() : undefined;
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await schema?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (masterKey: string): Promise<RunningServer> => {
    const where = schema === undefined ? { dataDir: dir } : { database: urlWithSchema(schema.schema) };
    server = await startServer({ ...where, port: 0, encryption: { masterKey } });
    return server;
  };
  const stop = async (): Promise<void> => {
    await server?.close();
    server = undefined;
  };
  /** Every message waiting for bob (body and attachment text), and carol's held approvals (subject and body). */
  const readAll = async (running: RunningServer, bob: CreatedName, carol: CreatedName) => {
    const { messages, approvals } = await readSealedContent(running, bob.apiKey, carol.apiKey);
    return { messages, approvals: approvals.map((a) => `${a.subject} | ${a.body}`) };
  };

  it("restart with '<new>,<old>', then with '<new>': everything sealed under the old key reads, none lost", async () => {
    const oldId = derivedKeyId(parseMasterKey(OLD_KEY, "test"));
    const newId = derivedKeyId(parseMasterKey(NEW_KEY, "test"));

    const first = await start(OLD_KEY);
    expect(first.encryption?.currentKeyId()).toBe(oldId);
    const made = async (name: string) => createName(first.storage.directory, { name, email: `${name}@example.com` }, { bcryptCost: TEST_BCRYPT_COST });
    const alice = await made("alice");
    const bob = await made("bob");
    const carol = await made("carol");
    await api(first, "PATCH", "/api/names/carol", { key: carol.apiKey, body: { delivery_policy: "approval_required" } });
    const expected: string[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const body = `message ${i} ${randomBytes(4).toString("hex")}`;
      const attachments = i % 3 === 0 ? [text(`file of ${body}`)] : [];
      const sent = await api(first, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", subject: `s ${i}`, body, attachments } });
      expect(sent.status).toBe(200);
      expected.push(i % 3 === 0 ? `${body} | file of ${body}` : body);
    }
    expect((await api(first, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "carol", subject: "held", body: "for approval" } })).status).toBe(202);
    const before = await readAll(first, bob, carol);
    expect(before.messages).toEqual([...expected].sort());
    expect(before.approvals).toEqual(["held | for approval"]);
    await stop();

    // Both keys: new content is sealed under the new one, and the server re-seals the old content at start.
    const both = await start(`${NEW_KEY},${OLD_KEY}`);
    const encryption = both.encryption;
    if (encryption === undefined) throw new Error("encryption is on by default");
    expect(encryption.currentKeyId()).toBe(newId);
    await encryption.whenSealedUnder(newId);
    const keep = `${SEAL_PREFIX}${newId}:`;
    for (const table of SEALED_TABLES) {
      expect((await both.storage.sealedRows.scan(table, undefined, 1_000, keep)).rows, table).toEqual([]);
    }
    const files = both.files as SealedFileStore;
    const fileIds = await files.listWrittenBefore(Number.MAX_SAFE_INTEGER);
    expect(fileIds).toHaveLength(Math.ceil(MESSAGES / 3));
    for (const fileId of fileIds) expect(await files.keyIdOf(fileId)).toBe(newId);
    expect(await readAll(both, bob, carol)).toEqual(before);
    await stop();

    // The new key alone: the old one is no longer needed for anything stored.
    const alone = await start(NEW_KEY);
    expect(alone.encryption?.currentKeyId()).toBe(newId);
    expect(await readAll(alone, bob, carol)).toEqual(before);
    // Keys given by value leave no key file behind.
    await expect(access(join(dir, "master.key"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});
