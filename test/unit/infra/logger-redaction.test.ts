// Secrets never reach a log line: the master key (by its option, its variable, or a key object) is redacted.
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../src/infra/logger.js";

function capture(): { lines: string[]; destination: Writable } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, destination };
}

describe("log redaction", () => {
  it("redacts the master key wherever a record carries it", async () => {
    const secret = "9f".repeat(32);
    const { lines, destination } = capture();
    const logger = createLogger({ destination, level: "info" });
    logger.info({ masterKey: secret }, "top level");
    logger.info({ encryption: { masterKey: secret, masterKeyFile: "/keys/master.key" } }, "nested");
    logger.info({ options: { encryption: { masterKey: secret } } }, "deeper");
    logger.info({ env: { CLAWTELL_MASTER_KEY: secret } }, "environment");
    logger.info({ current: { id: "kabc", key: Buffer.from(secret, "hex") } }, "a key object");
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      expect(line).not.toContain(secret);
      expect(line).not.toContain(Buffer.from(secret, "hex").toString("base64"));
    }
    expect(lines[1]).toContain("/keys/master.key");
    expect(lines.join("")).toContain("[redacted]");
  });
});
