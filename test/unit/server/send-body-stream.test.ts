// The scan of a large send's body on its own, fed in pieces of every size down to single bytes, so every boundary
// (inside a key, an escape, the base64 padding, the closing quote) falls between two chunks somewhere.
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClawTellError } from "../../../src/infra/index.js";
import { openFileStore, type FileStore } from "../../../src/server/files.js";
import { readSendBodyStreaming } from "../../../src/server/send-body-stream.js";

const LIMITS = { maxBytes: 64 * 1024 * 1024, maxTextBytes: 4096 };

async function* inPieces(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

describe("readSendBodyStreaming", () => {
  let dir: string;
  let files: FileStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-send-body-"));
    files = openFileStore(dir);
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  const stored = async (): Promise<string[]> => readdir(join(dir, "files")).catch(() => []);

  it("saves each attachment's data and keeps the rest of the body with a stand-in, whatever the chunk size", async () => {
    const first = Buffer.concat([Buffer.from([0x89, 0x50]), randomBytes(3001)]);
    const second = Buffer.from("x");
    const escaped = first.toString("base64").replaceAll("/", "\\/");
    const text = `{"to":"b\\u006fb", "body":"say \\"hi\\" \\\\", "attachments" : [ {"filename":"a.png","d\\u0061ta":"${escaped}"}, {"data":"${second.toString("base64")}","mime_type":"text/plain"} ], "data":"not a file"}`;
    for (const size of [1, 2, 3, 7, 64, 100_000]) {
      const body = await readSendBodyStreaming(inPieces(Buffer.from(text), size), files, LIMITS);
      const value = JSON.parse(body.text.toString("utf8")) as { to: string; body: string; data: string; attachments: Array<{ data: string }> };
      expect(value.to).toBe("bob");
      expect(value.body).toBe('say "hi" \\');
      expect(value.data).toBe("not a file");
      expect(body.receivedBytes).toBe(Buffer.byteLength(text));
      const expected = [first, second];
      expect([...body.files.keys()]).toEqual([0, 1]);
      for (const [index, file] of body.files) {
        const bytes = expected[index] ?? Buffer.alloc(0);
        expect(file.size).toBe(bytes.length);
        expect(await readFile(join(dir, "files", file.fileId))).toEqual(bytes);
        expect(file.stand).toBe(createHash("sha256").update(bytes.toString("base64")).digest("base64"));
        expect(value.attachments[index]?.data).toBe(file.stand);
      }
    }
  });

  it("refuses bad base64, an eleventh file, a second attachments list and a body too large, removing what it saved", async () => {
    const good = `{"data":"${Buffer.from("hello").toString("base64")}"}`;
    const cases: Array<[string, string, string]> = [
      [`{"attachments":[${good},{"data":"AAA"}]}`, "CT_BAD_REQUEST", "attachments.1.data"],
      [`{"attachments":[${good},{"data":"AA=A"}]}`, "CT_BAD_REQUEST", "attachments.1.data"],
      [`{"attachments":[${good},{"data":"A==="}]}`, "CT_BAD_REQUEST", "attachments.1.data"],
      [`{"attachments":[${good},{"data":"AAA\\n"}]}`, "CT_BAD_REQUEST", "attachments.1.data"],
      [`{"attachments":[${good},{"data":"AA-_"}]}`, "CT_BAD_REQUEST", "attachments.1.data"],
      [`{"attachments":[${good},{"data":"QUJD","data":"AAAA"}]}`, "CT_BAD_REQUEST", "attachments.1.data"],
      [`{"attachments":[${Array.from({ length: 11 }, () => good).join(",")}]}`, "CT_BAD_REQUEST", "attachments"],
      [`{"attachments":[${good}],"attachments":[]}`, "CT_BAD_REQUEST", "attachments"],
      [`{"attachments":[${good}],"body":"${"x".repeat(5000)}"}`, "CT_PAYLOAD_TOO_LARGE", "body"],
      [`{"attachments":[${good}]}}`, "CT_BAD_REQUEST", "body"],
      [`{"attachments":[${good},{"data":"AAAA`, "CT_BAD_REQUEST", "body"],
    ];
    for (const [text, code, field] of cases) {
      for (const size of [1, 5, 1000]) {
        const failure = await readSendBodyStreaming(inPieces(Buffer.from(text), size), files, LIMITS).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(failure).toBeInstanceOf(ClawTellError);
        expect({ text: text.slice(0, 60), code: (failure as ClawTellError).code, field: (failure as ClawTellError).field }).toEqual({ text: text.slice(0, 60), code, field });
        expect(await stored()).toEqual([]);
      }
    }
  });

  it("refuses an executable from its first bytes", async () => {
    const exe = Buffer.concat([Buffer.from("\x7fELF"), randomBytes(100)]).toString("base64");
    const failure = await readSendBodyStreaming(inPieces(Buffer.from(`{"attachments":[{"data":"${exe}"}]}`), 3), files, LIMITS).catch((err: unknown) => err);
    expect(failure).toMatchObject({ code: "CT_BAD_REQUEST", field: "attachments.0.data" });
    expect(await stored()).toEqual([]);
  });
});
