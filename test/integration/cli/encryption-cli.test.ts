// Encryption at rest through the shipped bin: `clawtell admin rotate-master-key` beside a running server process and
// with none, the master key never in the logs, and a server on a database refused without a shared key.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rotateKeyFile } from "../../../src/server/crypto/index.js";
import type { CreatedName } from "../../../src/server/index.js";
import { runCli, startServerProcess, type ServerProcess } from "../../helpers/cli-process.js";
import { api } from "../../helpers/test-server.js";

const KEY = "5a".repeat(32);

describe("clawtell server and admin with encryption at rest", () => {
  let dir: string;
  let server: ServerProcess | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-enc-cli-"));
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  const createName = async (name: string): Promise<CreatedName> => {
    const made = await runCli(["admin", "create-name", name, "--email", `${name}@example.com`, "--data", dir]);
    expect(made.code, made.stderr).toBe(0);
    return JSON.parse(made.stdout) as CreatedName;
  };

  it("rotate-master-key beside a running server leaves the re-sealing to it; with none, re-seals itself; messages read throughout", async () => {
    const alice = await createName("alice");
    const bob = await createName("bob");
    server = await startServerProcess(dir);
    const first = (JSON.parse(await readFile(join(dir, "master.key"), "utf8")) as { current: string }).current;
    const send = async (body: string): Promise<void> => {
      expect((await api(server as ServerProcess, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body } })).status).toBe(200);
    };
    await send("before the rotation");

    const beside = await runCli(["admin", "rotate-master-key", "--data", dir, "--json"]);
    expect(beside.code, beside.stderr).toBe(0);
    const report = JSON.parse(beside.stdout) as { keyId: string; previous: string; resealed: unknown };
    expect(report).toMatchObject({ previous: first, resealed: "server", keyFile: join(dir, "master.key") });
    await send("after the rotation");
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    expect((polled.body["messages"] as Array<{ body: string }>).map((m) => m.body)).toEqual(["before the rotation", "after the rotation"]);

    await server.stop();
    server = undefined;
    const alone = await runCli(["admin", "rotate-master-key", "--data", dir]);
    expect(alone.code, alone.stderr).toBe(0);
    expect(alone.stdout).toMatch(new RegExp(`^new master key k[0-9a-f]+ \\(was ${report.keyId}\\) in `));
    expect(alone.stdout).toMatch(/re-sealed 2 rows and 0 files\n$/);

    server = await startServerProcess(dir);
    const again = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    expect((again.body["messages"] as Array<{ body: string }>).map((m) => m.body)).toEqual(["before the rotation", "after the rotation"]);
  });

  it("retire-master-key refuses while content is sealed under the key, naming how many remain, and removes it once re-sealed", async () => {
    const alice = await createName("alice");
    const bob = await createName("bob");
    server = await startServerProcess(dir);
    expect((await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: "sealed under the first key" } })).status).toBe(200);
    await server.stop();
    server = undefined;
    const keyFile = join(dir, "master.key");
    const first = (JSON.parse(await readFile(keyFile, "utf8")) as { current: string }).current;
    // A new current key written into the file by hand: nothing is re-sealed under it yet.
    const second = rotateKeyFile(keyFile, Date.now()).id;

    const refused = await runCli(["admin", "retire-master-key", first, "--data", dir]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`1 row still sealed under master key ${first}`);
    const current = await runCli(["admin", "retire-master-key", second, "--data", dir]);
    expect(current.code).not.toBe(0);
    expect(current.stderr).toContain("is the current key");

    // rotate-master-key with no server re-seals everything under a third key: the first two hold nothing any more.
    expect((await runCli(["admin", "rotate-master-key", "--data", dir])).code).toBe(0);
    const retired = await runCli(["admin", "retire-master-key", first, "--data", dir]);
    expect(retired.code, retired.stderr).toBe(0);
    expect(retired.stdout).toBe(`retired master key ${first}; ${keyFile} holds 2 keys\n`);
    const json = await runCli(["admin", "retire-master-key", second, "--data", dir, "--json"]);
    expect(JSON.parse(json.stdout)).toEqual({ keyId: second, keyFile, keysLeft: 1 });

    // Without the retired keys, the message reads.
    server = await startServerProcess(dir);
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey });
    expect((polled.body["messages"] as Array<{ body: string }>).map((m) => m.body)).toEqual(["sealed under the first key"]);
  });

  it("CLAWTELL_MASTER_KEY seals without a key file and is never logged; rotate-master-key explains how to rotate it", async () => {
    const alice = await createName("alice");
    await createName("bob");
    server = await startServerProcess(dir, [], { env: { CLAWTELL_MASTER_KEY: KEY, CLAWTELL_LOG_LEVEL: "debug" } });
    expect((await api(server, "POST", "/api/messages/send", { key: alice.apiKey, body: { to: "bob", body: "hi" } })).status).toBe(200);
    await expect(readFile(join(dir, "master.key"))).rejects.toMatchObject({ code: "ENOENT" });
    const stderr = server.stderr();
    await server.stop();
    server = undefined;
    expect(stderr).toMatch(/"masterKeyId":"[^"]+".*"msg":"server listening"/);
    expect(stderr).not.toContain(KEY);

    const refused = await runCli(["admin", "rotate-master-key", "--data", dir], { env: { CLAWTELL_MASTER_KEY: KEY } });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("CLAWTELL_MASTER_KEY=<new>,<old>");
    expect(refused.stderr).not.toContain(KEY);
  });

  it("a server on a database without a shared key does not start, naming the options", async () => {
    const started = await runCli(["server", "--port", "0", "--database", "postgres://nobody@127.0.0.1:1/none"], {
      env: { CLAWTELL_MASTER_KEY: "", CLAWTELL_DATABASE_URL: "" },
    });
    expect(started.code).not.toBe(0);
    expect(started.stderr).toMatch(/CLAWTELL_MASTER_KEY.*--master-key-file.*--no-encryption/);
  });
});
