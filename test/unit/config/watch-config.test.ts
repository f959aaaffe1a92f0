// watchConfigFile on a real file in a temp dir: valid changes are handed on, invalid ones reported with the old
// config kept, atomic replacement (write temp + rename, as editors and `openclaw config set` do) is seen.
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { watchConfigFile, type ConfigWatchHandle, type LoadedOpenClawConfig } from "../../../src/config/index.js";
import { createSilentLogger, type ClawTellError } from "../../../src/infra/index.js";

const configText = (name: string): string => `{ channels: { clawtell: { name: "${name}", apiKey: "k" } } } // JSON5\n`;

describe("watchConfigFile", () => {
  let dir: string;
  let path: string;
  let handle: ConfigWatchHandle | undefined;
  const changes: LoadedOpenClawConfig[] = [];
  const errors: ClawTellError[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "ct-watch-"));
    path = join(dir, "openclaw.json");
    await writeFile(path, configText("first"));
    changes.length = 0;
    errors.length = 0;
    handle = await watchConfigFile(path, (config) => void changes.push(config), {
      logger: createSilentLogger(),
      debounceMs: 80,
      onError: (err) => errors.push(err),
    });
  });
  afterEach(async () => {
    await handle?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("hands on a valid change, reports an invalid one and keeps going", async () => {
    await writeFile(path, configText("second"));
    await expect.poll(() => changes.map((c) => c.clawtell.name), { timeout: 5_000, interval: 20 }).toEqual(["second"]);

    await writeFile(path, `{ channels: { clawtell: { name: "x", apiKey: "k", routing: { bob: { agent: 42 } } } } }`);
    await expect.poll(() => errors.length, { timeout: 5_000, interval: 20 }).toBe(1);
    expect(errors[0]).toMatchObject({ code: "CT_CONFIG_INVALID" });
    expect(errors[0]?.message).toContain("channels.clawtell.routing.bob.agent");
    expect(changes).toHaveLength(1);

    const tmp = join(dir, ".openclaw.json.tmp");
    await writeFile(tmp, configText("third"));
    await rename(tmp, path);
    await expect.poll(() => changes.map((c) => c.clawtell.name), { timeout: 5_000, interval: 20 }).toEqual(["second", "third"]);
  });

  it("coalesces a burst of writes into one reload and ignores rewrites of the same text", async () => {
    for (const name of ["a", "b", "c"]) await writeFile(path, configText(name));
    await expect.poll(() => changes.map((c) => c.clawtell.name), { timeout: 5_000, interval: 20 }).toEqual(["c"]);
    await writeFile(path, configText("c"));
    await writeFile(path, configText("d"));
    await expect.poll(() => changes.map((c) => c.clawtell.name), { timeout: 5_000, interval: 20 }).toEqual(["c", "d"]);
  });

  it("reports a removed file and calls nothing after close", async () => {
    await rm(path);
    await expect.poll(() => errors.map((e) => e.message), { timeout: 5_000, interval: 20 }).toEqual([`${path}: file removed`]);
    await handle?.close();
    await writeFile(path, configText("late"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(changes).toEqual([]);
  });
});
