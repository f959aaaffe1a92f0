// Where `clawtell daemon` and the operator commands look: OpenClaw's own rules (OPENCLAW_HOME included), and the
// state folder a daemon recorded for its config.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveOpenClawConfigPath, resolveOpenClawStateDir } from "../../../src/config/index.js";
import { recordDaemonPaths, resolveDaemonPaths } from "../../../src/cli/daemon-context.js";

describe("daemon paths", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-paths-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads the config and keeps the queue under the same OPENCLAW_HOME, as OpenClaw does", () => {
    const env = { OPENCLAW_HOME: join(dir, "home") };
    const paths = resolveDaemonPaths({}, env, "/", join(dir, "user"));
    expect(paths.configPath).toBe(join(dir, "home", ".openclaw", "openclaw.json"));
    expect(paths.openclawStateDir).toBe(join(dir, "home", ".openclaw"));
    expect(paths.stateDir).toBe(join(dir, "home", ".openclaw", "clawtell"));
    // The same folders the config module (and OpenClaw) use.
    expect(paths.configPath).toBe(resolveOpenClawConfigPath(env, join(dir, "user")));
    expect(paths.openclawStateDir).toBe(resolveOpenClawStateDir(env, join(dir, "user")));
  });

  it("finds the state folder a daemon recorded for the same config, unless --state-dir says otherwise", async () => {
    const env = { OPENCLAW_STATE_DIR: join(dir, "state") };
    const config = join(dir, "openclaw.json");
    const daemon = resolveDaemonPaths({ config, stateDir: join(dir, "queues") }, env, "/", dir);
    await recordDaemonPaths(daemon);
    expect(resolveDaemonPaths({ config }, env, "/", dir)).toMatchObject({ stateDir: join(dir, "queues"), stateDirFrom: "recorded" });
    expect(resolveDaemonPaths({ config, stateDir: "elsewhere" }, env, dir, dir).stateDir).toBe(join(dir, "elsewhere"));
    expect(resolveDaemonPaths({ config: join(dir, "other.json") }, env, "/", dir)).toMatchObject({ stateDir: join(dir, "state", "clawtell"), stateDirFrom: "default" });
  });
});
