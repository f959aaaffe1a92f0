import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { purgeExpired, type CreatedName } from "../../../src/server/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

interface AttachmentRef {
  fileId: string;
  filename: string;
  mime_type: string;
}

describe("attachments", () => {
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;
  let eve: CreatedName;
  const pdf = Buffer.concat([Buffer.from("%PDF-1.7\n"), randomBytes(4000)]);
  const notes = Buffer.from("første linje\nsecond line\n", "utf8");

  beforeEach(async () => {
    server = await startTestServer({ fileLinkTtlMs: 1_000 });
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
    eve = await server.createName("eve", "eve@example.com");
  });
  afterEach(async () => server.close());

  const sendWith = (attachments: unknown[]) =>
    api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: "see attached", attachments } });
  const upload = (content: Buffer, filename: string, mime_type: string) => ({ data: content.toString("base64"), filename, mime_type });
  const receive = async (): Promise<AttachmentRef[]> => {
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    return (polled.body["messages"] as Array<{ attachments: AttachmentRef[] }>)[0]?.attachments ?? [];
  };
  const linkFor = (fileId: string, key: string) => api(server, "GET", `/api/files/${fileId}`, { key });

  it("delivers files sent as base64 and serves their exact bytes through a signed link, without a key", async () => {
    const sent = await sendWith([upload(pdf, "report.pdf", "application/pdf"), upload(notes, "nøtes (v2).txt", "text/plain")]);
    expect(sent.status).toBe(200);
    const refs = await receive();
    expect(refs.map(({ filename, mime_type }) => ({ filename, mime_type }))).toEqual([
      { filename: "report.pdf", mime_type: "application/pdf" },
      { filename: "nøtes (v2).txt", mime_type: "text/plain" },
    ]);
    for (const ref of refs) expect(ref.fileId).toMatch(/^[A-Za-z0-9_-]{1,100}$/);

    const link = await linkFor(refs[0]?.fileId ?? "", bob.apiKey);
    expect(link.status).toBe(200);
    expect(link.body["url"]).toBe(link.body["signedUrl"]);
    expect(Date.parse(String(link.body["expiresAt"]))).toBeGreaterThan(Date.now());
    const download = await fetch(String(link.body["signedUrl"]));
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/pdf");
    expect(download.headers.get("content-disposition")).toContain('filename="report.pdf"');
    expect(download.headers.get("x-content-type-options")).toBe("nosniff");
    expect(Buffer.from(await download.arrayBuffer()).equals(pdf)).toBe(true);

    // The sender's account may fetch what it sent; the non-ASCII name survives in the UTF-8 form.
    const own = await linkFor(refs[1]?.fileId ?? "", alice.apiKey);
    const text = await fetch(String(own.body["signedUrl"]));
    expect(Buffer.from(await text.arrayBuffer()).equals(notes)).toBe(true);
    expect(text.headers.get("content-disposition")).toBe(`attachment; filename="n_tes (v2).txt"; filename*=UTF-8''n%C3%B8tes%20%28v2%29.txt`);
  });

  it("shows another account's file as missing, and refuses a forged or expired link", async () => {
    await sendWith([upload(notes, "notes.txt", "text/plain")]);
    const [ref] = await receive();
    const fileId = ref?.fileId ?? "";
    expect((await linkFor(fileId, eve.apiKey)).status).toBe(404);
    expect((await linkFor("no-such-file", bob.apiKey)).status).toBe(404);
    expect((await linkFor(fileId, "claw_nope")).status).toBe(401);

    const signed = new URL(String((await linkFor(fileId, bob.apiKey)).body["signedUrl"]));
    const forged = new URL(signed);
    forged.searchParams.set("expires", String(Number(signed.searchParams.get("expires")) + 60_000));
    expect((await fetch(forged)).status).toBe(403);
    expect((await fetch(`${server.url}/files/${fileId}`)).status).toBe(403);

    await new Promise((r) => setTimeout(r, 1_100));
    const expired = await fetch(signed);
    expect(expired.status).toBe(403);
    expect(await expired.json()).toMatchObject({ code: "CT_FORBIDDEN", field: "sig" });
  });

  it("answers 400 naming the attachment field, and 413 past the size limit, storing nothing", async () => {
    const cases: Array<[unknown, string]> = [
      [{ data: "not base64!", filename: "a.txt", mime_type: "text/plain" }, "attachments.0.data"],
      [{ ...upload(notes, "a.txt", "text/plain"), url: "https://example.com/a.txt" }, "attachments.0.url"],
      [{ filename: "a.txt", mime_type: "text/plain" }, "attachments.0.data"],
      [{ data: notes.toString("base64"), mime_type: "text/plain" }, "attachments.0.filename"],
      [{ url: "ftp://example.com/a.txt" }, "attachments.0.url"],
      [upload(notes, "setup.exe", "application/pdf"), "attachments.0.filename"],
      [upload(notes, "../etc/passwd", "text/plain"), "attachments.0.filename"],
      [upload(notes, "tool.dat", "application/x-msdownload"), "attachments.0.mime_type"],
    ];
    for (const [attachment, field] of cases) {
      const res = await sendWith([attachment]);
      expect({ field, status: res.status, answered: res.body["field"] }).toEqual({ field, status: 400, answered: field });
    }
    const tooMany = await sendWith(Array.from({ length: 11 }, () => upload(notes, "n.txt", "text/plain")));
    expect([tooMany.status, tooMany.body["field"]]).toEqual([400, "attachments"]);

    // 26 MiB in base64: refused while it streams in, once the decoded bytes pass 25 MiB.
    const huge = await sendWith([upload(Buffer.alloc(26 * 1024 * 1024), "big.zip", "application/zip")]);
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ code: "CT_PAYLOAD_TOO_LARGE", field: "attachments.0.data" });

    expect(await receive()).toEqual([]);
    expect(await server.files.listWrittenBefore(Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it("answers a large send without a valid key with 401 before reading its body", async () => {
    const url = new URL(`${server.url}/api/messages/send`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/json", "content-length": 30_000_000, authorization: "Bearer claw_00000000_wrongwrongwrongwrong" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on("error", reject);
      // Only the first bytes of the promised 30 MB are ever sent.
      req.write('{"to":"bob","body":"x","attachments":[{"data":"');
    });
    expect(status).toBe(401);
  });

  it("keeps files across a restart and removes them with their message", async () => {
    const sent = await sendWith([upload(notes, "notes.txt", "text/plain")]);
    const [ref] = await receive();
    const fileId = ref?.fileId ?? "";
    await server.restart();
    const link = await linkFor(fileId, bob.apiKey);
    expect(Buffer.from(await (await fetch(String(link.body["signedUrl"]))).arrayBuffer()).equals(notes)).toBe(true);

    await api(server, "POST", "/api/messages/ack", { key: bob.apiKey, body: { messageIds: [sent.body["messageId"]] } });
    const removed = await purgeExpired(server.storage.messages, server.files, Date.now() + 2 * 60 * 60 * 1000);
    expect(removed).toMatchObject({ acked: 1, files: 1 });
    expect(await server.files.listWrittenBefore(Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect((await linkFor(fileId, bob.apiKey)).status).toBe(404);
  });

  it("sweeps files that no message holds once they are an hour old", async () => {
    await sendWith([upload(notes, "kept.txt", "text/plain")]);
    const orphan = await server.files.save(Buffer.from("left by a send that crashed before its commit"));
    expect(await purgeExpired(server.storage.messages, server.files, Date.now())).toMatchObject({ files: 0 });
    expect(await server.files.listWrittenBefore(Number.MAX_SAFE_INTEGER)).toHaveLength(2);

    expect(await purgeExpired(server.storage.messages, server.files, Date.now() + 61 * 60 * 1000)).toMatchObject({ files: 1 });
    const left = await server.files.listWrittenBefore(Number.MAX_SAFE_INTEGER);
    expect(left).toHaveLength(1);
    expect(left).not.toContain(orphan);
  });
});
