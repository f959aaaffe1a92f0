// Retiring an old master key from the key file (`clawtell admin retire-master-key`): refused, naming how many rows and
// files remain, while anything stored is still sealed under it; refused for the current key and for a key the file
// lacks; done once a server has re-sealed everything, after which everything still reads without the old key. On a
// data folder the server must be stopped; on PostgreSQL (the suite's PostgreSQL run) it runs beside the servers once
// the current key is an hour old.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManualClock } from "../../../src/infra/index.js";
import { describeKeyFile, rotateKeyFile } from "../../../src/server/crypto/index.js";
import { createName, RETIRE_AFTER_MS, retireMasterKey, startServer, type CreatedName, type RunningServer } from "../../../src/server/index.js";
import { readSealedContent } from "../../helpers/master-key.js";
import { createTestSchema, urlWithSchema } from "../../helpers/storage-backends.js";
import { api, TEST_BCRYPT_COST, testBackend } from "../../helpers/test-server.js";

const MESSAGES = 7;
const text = (content: string) => ({ data: Buffer.from(content).toString("base64"), filename: "notes.txt", mime_type: "text/plain" });

describe("retiring an old master key", () => {
  let dir: string;
  let keyFile: string;
  let schema: Awaited<ReturnType<typeof createTestSchema>> | undefined;
  let server: RunningServer | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-retire-key-"));
    schema = testBackend() === "postgres" ? await createTestSchema() : undefined;
    // On a data folder the server makes its key file; on PostgreSQL the servers share one, made first.
    keyFile = join(dir, "master.key");
    if (schema !== undefined) rotateKeyFile(keyFile, Date.now());
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await schema?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const where = (): { dataDir: string } | { database: string; masterKeyFile: string } =>
    schema === undefined ? { dataDir: dir } : { database: urlWithSchema(schema.schema), masterKeyFile: keyFile };
  const start = async (): Promise<RunningServer> => {
    const at = where();
    server = await startServer({ port: 0, ...("database" in at ? { database: at.database, encryption: { masterKeyFile: keyFile } } : at) });
    return server;
  };
  const stop = async (): Promise<void> => {
    await server?.close();
    server = undefined;
  };
  /** The bodies (with their attachment's text) waiting for bob, and carol's held approvals. */
  const readAll = async (running: RunningServer, bob: CreatedName, carol: CreatedName) => {
    const { messages, approvals } = await readSealedContent(running, bob.apiKey, carol.apiKey);
    return { messages, approvals: approvals.map((a) => a.body) };
  };

  it("refuses while rows or files are sealed under the key, and removes it once they are re-sealed; everything still reads", async () => {
    const first = await start();
    const oldKey = first.encryption?.currentKeyId() ?? "";
    const made = async (name: string) => createName(first.storage.directory, { name, email: `${name}@example.com` }, { bcryptCost: TEST_BCRYPT_COST });
    const alice = await made("alice");
    const bob = await made("bob");
    const carol = await made("carol");
    await api(first, "PATCH", "/api/names/carol", { key: carol.apiKey, body: { delivery_policy: "approval_required" } });
    for (let i = 0; i < MESSAGES; i++) {
      const body = `message ${i} ${randomBytes(4).toString("hex")}`;
      const attachments = i % 3 === 0 ? [text(`file of ${body}`)] : [];
      expect((await api(first, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body, attachments } })).status).toBe(200);
    }
    expect((await api(first, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "carol", subject: "held", body: "for approval" } })).status).toBe(202);
    const before = await readAll(first, bob, carol);
    expect(before.messages).toHaveLength(MESSAGES);
    await stop();

    // A new current key with nothing re-sealed yet: every row and file is still under the old one.
    const newKey = rotateKeyFile(keyFile, Date.now()).id;
    const later = createManualClock(Date.now() + RETIRE_AFTER_MS + 60_000);
    const retire = (keyId: string, clock = later) => retireMasterKey({ ...where(), keyId, clock });
    const rows = MESSAGES + 1;
    const files = Math.ceil(MESSAGES / 3);
    await expect(retire(oldKey)).rejects.toMatchObject({
      code: "CT_CONFLICT",
      message: expect.stringContaining(`${rows} rows and ${files} files still sealed under master key ${oldKey}`),
    });
    await expect(retire(newKey)).rejects.toMatchObject({ code: "CT_CONFLICT", message: expect.stringContaining("is the current key") });
    await expect(retire("knothere")).rejects.toMatchObject({ code: "CT_NOT_FOUND" });
    expect(describeKeyFile(keyFile)?.keys.map((k) => k.id)).toEqual([oldKey, newKey]);

    // A server re-seals at start.
    const second = await start();
    await second.encryption?.whenSealedUnder(newKey);
    if (schema === undefined) {
      // The data folder's journal is the running server's alone.
      await expect(retire(oldKey)).rejects.toMatchObject({ code: "CT_CONFLICT", message: expect.stringContaining("in use by a running server") });
      await stop();
    } else {
      // Beside running servers: not until the current key is an hour old.
      await expect(retire(oldKey, createManualClock(Date.now()))).rejects.toMatchObject({ code: "CT_CONFLICT", message: expect.stringContaining("less than an hour ago") });
    }
    expect(await retire(oldKey)).toEqual({ keyId: oldKey, keyFile, keysLeft: 1 });
    expect(describeKeyFile(keyFile)?.keys.map((k) => k.id)).toEqual([newKey]);
    await stop();

    // The old key is gone; everything reads.
    const third = await start();
    expect(await readAll(third, bob, carol)).toEqual(before);
  });
});
