// Encryption at rest over real HTTP: distinctive words sent in subjects, bodies, attachments and held messages are
// found in no file of the data folder (the SQLite file, its WAL, the journal, the attachment files, everything), yet
// read back through the API after a restart and through the admin commands; and a rotation of the master key while
// sends, polls and acks run loses nothing and leaves no row or file under the old key.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { SEAL_PREFIX, rotateKeyFile, type SealedFileStore } from "../../../src/server/crypto/index.js";
import {
  listApprovals,
  openEmbeddedAdminStores,
  openSealedAdminStores,
  rotateMasterKey,
  startServer,
} from "../../../src/server/index.js";
import { SEALED_TABLES } from "../../../src/server/store/index.js";
import { api, embeddedOnly, startTestServer, testBackend, type TestServer } from "../../helpers/test-server.js";

/** Every file under `dir`, recursively, with its bytes. */
async function filesUnder(dir: string): Promise<Array<{ path: string; bytes: Buffer }>> {
  const found: Array<{ path: string; bytes: Buffer }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(path)));
    else if (entry.isFile()) found.push({ path, bytes: await readFile(path) });
  }
  return found;
}

/** The files of the folder holding any of the words (as UTF-8 or UTF-16 bytes), with the word. */
async function grepFolder(dir: string, words: readonly string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const { path, bytes } of await filesUnder(dir)) {
    for (const word of words) {
      if (bytes.includes(Buffer.from(word, "utf8")) || bytes.includes(Buffer.from(word, "utf16le"))) hits.push(`${path}: ${word}`);
    }
  }
  return hits;
}

const text = (content: string) => ({ data: Buffer.from(content).toString("base64"), filename: "notes.txt", mime_type: "text/plain" });

describe("encryption at rest", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.skipIf(embeddedOnly("grepping the data folder"))(
    "no file of the data folder holds a word of the content; the API and the admin commands read it all after a restart",
    async () => {
      server = await startTestServer();
      const alice = await server.createName("alice", "alice@example.com");
      const bob = await server.createName("bob", "bob@example.com");
      const carol = await server.createName("carol", "carol@example.com");
      await api(server, "PATCH", "/api/names/carol", { key: carol.apiKey, body: { delivery_policy: "approval_required" } });

      const words = {
        subject: "Xylophonicsubjectword",
        body: "Quinquagenarianbodyword",
        file: "Zygomorphicattachmentword",
        heldSubject: "Heldsubjectperambulation",
        heldBody: "Heldbodyomphaloskepsis",
        acked: "Ackedbodyfloccinaucinihilipilification",
      };
      const sent = await api(server, "POST", "/api/messages/send", {
        key: alice.apiKey,
        headers: { "idempotency-key": "grep-1" },
        body: { to: "bob", subject: `hello ${words.subject}`, body: `the ${words.body} here`, attachments: [text(`bytes ${words.file} bytes`)] },
      });
      expect(sent.status).toBe(200);
      const acked = await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", subject: "second", body: words.acked } });
      expect(acked.status).toBe(200);
      const held = await api(server, "POST", "/api/messages/send", {
        key: alice.apiKey,
        body: { to: "carol", subject: words.heldSubject, body: words.heldBody },
      });
      expect(held.status).toBe(202);
      expect((await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: [acked.body["messageId"]] } })).status).toBe(200);

      // A large send's files stream to the file store as the body arrives: sealed on that path too.
      const streamedWord = "Streamedattachmentpneumonoultramicroscopic";
      const large = text(`${streamedWord} `.repeat(8_000));
      expect((await api(server, "POST", "/api/messages/send", { key: bob.apiKey, body: { to: "alice", body: "a large file", attachments: [large] } })).status).toBe(200);

      const all = [...Object.values(words), streamedWord];
      // While running (content in the journal and the SQLite file and its WAL), after the hand-over to the archive
      // (the inbox reads it), and after a restart.
      expect(await grepFolder(server.dataDir, all)).toEqual([]);
      expect((await api(server, "GET", "/api/messages/inbox", { key: bob.apiKey })).status).toBe(200);
      expect(await grepFolder(server.dataDir, all)).toEqual([]);
      await server.restart();
      expect(await grepFolder(server.dataDir, all)).toEqual([]);
      expect((await stat(join(server.dataDir, "master.key"))).mode & 0o777).toBe(0o600);

      const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
      const messages = polled.body["messages"] as Array<{ id: string; subject: string; body: string; attachments: Array<{ fileId: string }> }>;
      expect(messages.map((m) => [m.id, m.subject, m.body])).toEqual([[sent.body["messageId"], `hello ${words.subject}`, `the ${words.body} here`]]);
      const link = await api(server, "GET", `/api/files/${messages[0]?.attachments[0]?.fileId ?? ""}`, { key: bob.apiKey });
      expect(Buffer.from(await (await fetch(String(link.body["url"]))).arrayBuffer()).toString()).toBe(`bytes ${words.file} bytes`);
      const inbox = await api(server, "GET", "/api/messages/inbox", { key: bob.apiKey });
      expect(JSON.stringify(inbox.body)).toContain(words.acked);
      // The idempotent replay answers the same, from what was stored.
      const replay = await api(server, "POST", "/api/messages/send", {
        key: alice.apiKey,
        headers: { "idempotency-key": "grep-1" },
        body: { to: "bob", subject: `hello ${words.subject}`, body: `the ${words.body} here`, attachments: [text(`bytes ${words.file} bytes`)] },
      });
      expect(replay.body["messageId"]).toBe(sent.body["messageId"]);

      // The held message: the owner's queue and the operator's (`clawtell admin approvals`, beside the server).
      const pending = await api(server, "GET", "/api/approvals", { key: carol.apiKey });
      expect(JSON.stringify(pending.body)).toContain(words.heldSubject);
      const admin = openEmbeddedAdminStores({ dataDir: server.dataDir });
      try {
        const queue = await listApprovals(openSealedAdminStores(admin, { dataDir: server.dataDir }));
        expect(queue.map((h) => [h.subject, h.body])).toEqual([[words.heldSubject, words.heldBody]]);
      } finally {
        await admin.close();
      }
      expect(await grepFolder(server.dataDir, all)).toEqual([]);
    },
  );

  it.skipIf(embeddedOnly("grepping the data folder"))("with --no-encryption new content is stored plain, and content sealed before still reads", async () => {
    server = await startTestServer();
    const alice = await server.createName("alice", "alice@example.com");
    const bob = await server.createName("bob", "bob@example.com");
    await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", subject: "sealed", body: "Sealedbeforeword" } });
    const dataDir = server.dataDir;
    await server.stop();
    const plain = await startTestServer({ dataDir, encryption: { enabled: false } });
    try {
      expect(plain.encryption).toBeUndefined();
      await api(plain, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", subject: "plain", body: "Plainafterword" } });
      const polled = await api(plain, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
      expect((polled.body["messages"] as Array<{ body: string }>).map((m) => m.body)).toEqual(["Sealedbeforeword", "Plainafterword"]);
      expect((await grepFolder(dataDir, ["Sealedbeforeword", "Plainafterword"])).some((hit) => hit.endsWith("Plainafterword"))).toBe(true);
      expect((await grepFolder(dataDir, ["Sealedbeforeword"]))).toEqual([]);
    } finally {
      await plain.close();
    }
  });

  it("a server on a database without a shared key is refused, naming the options", async () => {
    const refused = startServer({ database: "postgres://nobody@127.0.0.1:1/none", port: 0 });
    await expect(refused).rejects.toMatchObject({ code: "CT_CONFIG_INVALID", field: "masterKeyFile" });
    await expect(refused).rejects.toThrow(/CLAWTELL_MASTER_KEY.*--master-key-file.*--no-encryption/);
  });

  it.skipIf(testBackend() !== "postgres")("on PostgreSQL the subject and body columns hold sealed values, and file bytes are sealed", async () => {
    server = await startTestServer();
    const alice = await server.createName("alice", "alice@example.com");
    await server.createName("bob", "bob@example.com");
    const carol = await server.createName("carol", "carol@example.com");
    await api(server, "PATCH", "/api/names/carol", { key: carol.apiKey, body: { delivery_policy: "approval_required" } });
    const word = "Pgcolumnsecretword";
    expect((await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", subject: word, body: word, attachments: [text(word)] } })).status).toBe(200);
    expect((await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "carol", subject: word, body: word } })).status).toBe(202);
    const client = new pg.Client({ connectionString: server.database });
    await client.connect();
    try {
      for (const table of ["messages", "approvals"]) {
        const { rows } = await client.query<{ subject: string; body: string }>(`SELECT subject, body FROM ${table}`);
        expect(rows.length, table).toBeGreaterThan(0);
        for (const row of rows) {
          expect(row.subject.startsWith(SEAL_PREFIX), table).toBe(true);
          expect(row.body.startsWith(SEAL_PREFIX), table).toBe(true);
        }
      }
      const { rows: files } = await client.query<{ content: Buffer }>(
        "SELECT content FROM file_contents UNION ALL SELECT content FROM file_chunks",
      );
      expect(Buffer.concat(files.map((f) => f.content)).includes(Buffer.from(word))).toBe(false);
      expect(Buffer.concat(files.map((f) => f.content)).subarray(0, 8).toString()).toBe("CTSEALF1");
    } finally {
      await client.end();
    }
  });

  it("a rotation of the master key while sends, polls and acks run loses nothing; afterwards no row or file is under the old key", async () => {
    // On PostgreSQL the servers and the command share a key file (made here first, as an operator would).
    const keyDir = await mkdtemp(join(tmpdir(), "clawtell-keys-"));
    const keyFile = join(keyDir, "master.key");
    rotateKeyFile(keyFile, Date.now());
    server = await startTestServer(testBackend() === "postgres" ? { encryption: { masterKeyFile: keyFile } } : {});
    const running = server;
    const alice = await running.createName("alice", "alice@example.com");
    const bob = await running.createName("bob", "bob@example.com");
    const encryption = running.encryption;
    if (encryption === undefined) throw new Error("encryption is on by default");
    const oldKey = encryption.currentKeyId();

    const SENDERS = 4;
    const PER_SENDER = 40;
    const sent = new Map<string, string>();
    let sentCount = 0;
    let rotated: Promise<string> | undefined;
    const rotate = async (): Promise<string> => {
      const report = await rotateMasterKey(
        running.database !== undefined ? { database: running.database, masterKeyFile: keyFile } : { dataDir: running.dataDir },
      );
      expect(report.previous).toBe(oldKey);
      return report.keyId;
    };
    const sender = async (n: number): Promise<void> => {
      for (let i = 0; i < PER_SENDER; i++) {
        const body = `message ${n}-${i} ${randomBytes(6).toString("hex")}`;
        const attachments = i % 5 === 0 ? [text(`file of ${body}`)] : [];
        const res = await api(running, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", subject: `s ${n}-${i}`, body, attachments } });
        expect(res.status).toBe(200);
        sent.set(String(res.body["messageId"]), body);
        // Rotate once a third of the messages are in: the rest go out while the server re-seals.
        if (++sentCount === Math.floor((SENDERS * PER_SENDER) / 3)) rotated = rotate();
      }
    };
    const received = new Map<string, { body: string; files: string[] }>();
    const receiver = async (): Promise<void> => {
      while (received.size < SENDERS * PER_SENDER) {
        const polled = await api(running, "GET", "/api/messages/poll?timeout=1", { key: bob.apiKey });
        const messages = (polled.body["messages"] ?? []) as Array<{ id: string; body: string; attachments: Array<{ fileId: string }> }>;
        for (const m of messages) received.set(m.id, { body: m.body, files: m.attachments.map((a) => a.fileId) });
        if (messages.length > 0) {
          const ack = await api(running, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: messages.map((m) => m.id) } });
          expect(ack.status).toBe(200);
        }
      }
    };
    await Promise.all([...Array.from({ length: SENDERS }, (_, n) => sender(n)), receiver()]);
    const newKey = await (rotated ?? Promise.reject(new Error("no rotation happened")));
    expect(newKey).not.toBe(oldKey);

    expect(received.size).toBe(sent.size);
    for (const [id, body] of sent) expect(received.get(id)?.body).toBe(body);
    // Every attachment still opens, under whichever key.
    for (const { body, files } of received.values()) {
      for (const fileId of files) {
        const link = await api(running, "GET", `/api/files/${fileId}`, { key: bob.apiKey });
        expect(Buffer.from(await (await fetch(String(link.body["url"]))).arrayBuffer()).toString()).toBe(`file of ${body}`);
      }
    }

    await encryption.whenSealedUnder(newKey);
    expect(encryption.currentKeyId()).toBe(newKey);
    const keep = `${SEAL_PREFIX}${newKey}:`;
    for (const table of SEALED_TABLES) {
      const page = await running.storage.sealedRows.scan(table, undefined, 1_000, keep);
      expect(page.rows.map((r) => r.id), table).toEqual([]);
    }
    const files = running.files as SealedFileStore;
    const fileIds = await files.listWrittenBefore(Number.MAX_SAFE_INTEGER);
    expect(fileIds.length).toBe(Math.ceil(PER_SENDER / 5) * SENDERS);
    for (const fileId of fileIds) expect(await files.keyIdOf(fileId)).toBe(newKey);

    // Still readable after a restart (the old key stays in the file for what a later rotation might not reach).
    await running.restart();
    const inbox = await api(running, "GET", "/api/messages/inbox?limit=200", { key: bob.apiKey });
    const bodies = (inbox.body["messages"] as Array<{ body: string }>).map((m) => m.body).sort();
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of bodies) expect([...sent.values()]).toContain(body);
    await rm(keyDir, { recursive: true, force: true });
  });
});
