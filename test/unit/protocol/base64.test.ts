// The attachment check of base64 must accept exactly what zod's z.base64() accepts: standard alphabet, padded.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AttachmentUploadSchema, isBase64 } from "../../../src/protocol/index.js";

describe("isBase64", () => {
  const reference = z.base64();

  it("agrees with z.base64() on chosen edge cases", () => {
    const cases = ["", "QQ==", "QUI=", "QUJD", "QQ=", "QQ", "Q===", "====", "QU=D", "QUJDRA==QUJD", "QU-D", "QU_D", "QU D", "QUJ\n", "QUJé", "QUJĀ", "QR==", "+/+/", "😀😀"];
    for (const text of cases) expect(isBase64(text), JSON.stringify(text)).toBe(reference.safeParse(text).success);
  });

  it("agrees with z.base64() on generated strings", () => {
    const alphabet = "ABab09+/=-_ \né\u0100";
    let seed = 15;
    const next = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      let text = next(2) === 0 ? randomBytes(next(12)).toString("base64") : Array.from({ length: next(13) }, () => alphabet[next(alphabet.length)]).join("");
      if (text.length > 0 && next(3) === 0) {
        const at = next(text.length);
        text = `${text.slice(0, at)}${alphabet[next(alphabet.length)] ?? ""}${text.slice(at + 1)}`;
      }
      expect(isBase64(text), JSON.stringify(text)).toBe(reference.safeParse(text).success);
    }
  });

  it("keeps the attachment's message for a non-text or non-base64 data field, and asks for data or url when neither is there", () => {
    for (const upload of [{ data: 5 }, { data: "not base64!" }]) {
      const result = AttachmentUploadSchema.safeParse({ ...upload, filename: "a.png", mime_type: "image/png" });
      expect(result.error?.issues[0]?.message).toBe("must be the file content in base64");
    }
    const neither = AttachmentUploadSchema.safeParse({ filename: "a.png", mime_type: "image/png" });
    expect(neither.error?.issues[0]).toMatchObject({ path: ["data"], message: "give the file as `data` (base64) or as `url`: one of the two" });
    expect(AttachmentUploadSchema.safeParse({ url: "https://example.com/a.png" }).success).toBe(true);
  });
});
