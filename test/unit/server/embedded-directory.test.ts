// The embedded directory keeps the names found by key prefix in memory; these cases pin down when it reads again.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openEmbeddedDirectory } from "../../../src/server/store/embedded-directory.js";
import type { DirectoryStore } from "../../../src/server/store/index.js";
import { nameRecord } from "../../helpers/store-records.js";

describe("the embedded directory's names by key prefix", () => {
  let dir: string;
  let server: { directory: DirectoryStore; close(): Promise<void> };
  let admin: { directory: DirectoryStore; close(): Promise<void> };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-directory-"));
    // Two connections to one data folder, as a server and `clawtell admin` beside it.
    server = openEmbeddedDirectory({ dataDir: dir });
    admin = openEmbeddedDirectory({ dataDir: dir });
    await server.directory.insertAccount({ id: "acc_1", email: "a@example.com", createdAt: 1 });
  });
  afterEach(async () => {
    await Promise.all([server.close(), admin.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it("forgets a replaced key at once when the key was replaced through the same directory", async () => {
    const bob = await server.directory.insertName(nameRecord("bob", "acc_1", "oldprefix", "h1"));
    expect((await server.directory.findNameByKeyPrefix("oldprefix"))?.id).toBe(bob.id);
    await server.directory.replaceNameKey(bob.id, "newprefix", "h2");
    expect(await server.directory.findNameByKeyPrefix("oldprefix")).toBeUndefined();
    expect((await server.directory.findNameByKeyPrefix("newprefix"))?.keyHash).toBe("h2");
  });

  it("forgets a key another process replaced or deleted from the next turn of the event loop on", async () => {
    const bob = await server.directory.insertName(nameRecord("bob", "acc_1", "bobprefix", "h1"));
    const carol = await server.directory.insertName(nameRecord("carol", "acc_1", "carolprefix", "h1"));
    expect(await server.directory.findNameByKeyPrefix("bobprefix")).toBeDefined();
    expect(await server.directory.findNameByKeyPrefix("carolprefix")).toBeDefined();
    await nextTurn();

    await admin.directory.replaceNameKey(bob.id, "bobnewprefix", "h2");
    await admin.directory.deleteName(carol.id);
    await nextTurn();
    expect(await server.directory.findNameByKeyPrefix("bobprefix")).toBeUndefined();
    expect(await server.directory.findNameByKeyPrefix("carolprefix")).toBeUndefined();
    expect((await server.directory.findNameByKeyPrefix("bobnewprefix"))?.id).toBe(bob.id);
  });

  it("sees a settings change another process made", async () => {
    const bob = await server.directory.insertName(nameRecord("bob", "acc_1", "bobprefix", "h1"));
    expect((await server.directory.findNameByKeyPrefix("bobprefix"))?.communicationMode).toBe(bob.communicationMode);
    await nextTurn();
    const mode = bob.communicationMode === "anyone" ? "manual_only" : "anyone";
    await admin.directory.updateNameSettings(bob.id, { communicationMode: mode });
    await nextTurn();
    expect((await server.directory.findNameByKeyPrefix("bobprefix"))?.communicationMode).toBe(mode);
  });

  it("finds a name another process created after its prefix was asked for in vain", async () => {
    expect(await server.directory.findNameByKeyPrefix("laterprefix")).toBeUndefined();
    await admin.directory.insertName(nameRecord("dave", "acc_1", "laterprefix", "h1"));
    expect((await server.directory.findNameByKeyPrefix("laterprefix"))?.name).toBe("dave");
  });
});
