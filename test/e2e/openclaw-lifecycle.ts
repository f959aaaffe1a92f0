// Vitest global setup: completes OpenClaw's first-run package lifecycle once, before any test file starts.
//
// npm does not run OpenClaw's install scripts (package.json `allowScripts` leaves them off), so a fresh install holds a
// pending lifecycle that OpenClaw completes itself, under a lock, the first time it starts. The e2e files start first
// and together (vitest.config.ts), so on a fresh clone two of them would start their first `openclaw` at the same
// moment, and the one that loses the lock exits with "package lifecycle is incomplete". `openclaw --version` completes
// the lifecycle and exits; on an install where it is complete it only prints the version.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const OPENCLAW_BIN = resolve(import.meta.dirname, "../../node_modules/openclaw/openclaw.mjs");

export default function completeOpenClawLifecycle(): void {
  // Without OpenClaw installed the e2e files skip themselves; nothing to prepare.
  if (!existsSync(OPENCLAW_BIN)) return;
  // Its own home and state folder, as every gateway of the tests has: nothing is written outside the package.
  const scratch = mkdtempSync(join(tmpdir(), "openclaw-lifecycle-"));
  try {
    const result = spawnSync(process.execPath, [OPENCLAW_BIN, "--version"], {
      env: { ...process.env, HOME: scratch, OPENCLAW_STATE_DIR: join(scratch, "state"), OPENCLAW_CONFIG_PATH: join(scratch, "openclaw.json") },
      encoding: "utf8",
      timeout: 120_000,
    });
    if (result.status !== 0) {
      throw new Error(`openclaw --version failed (${result.status ?? result.signal ?? "no status"}): ${result.stderr || result.stdout}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
