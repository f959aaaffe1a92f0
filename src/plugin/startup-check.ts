/**
 * Once per gateway process, when the first ClawTell account starts: what `openclaw clawtell doctor` would report, as
 * warnings in OpenClaw's log, so a trap is seen without running the command. Nothing when all is well; never blocks
 * or fails the account.
 */

import type { Logger } from "../infra/index.js";
import { clientFor } from "../operator/index.js";
import { diagnose, type Finding } from "./cli/doctor.js";

export interface StartupCheck {
  /** Runs the check the first time only; later calls (account restarts, more accounts) do nothing. */
  run(cfg: unknown, agentIds: () => readonly string[], logger: Logger): Promise<void>;
}

export function createStartupCheck(check: (cfg: unknown, agentIds: () => readonly string[]) => Promise<Finding[]> = defaultCheck): StartupCheck {
  let started = false;
  return {
    run: async (cfg, agentIds, logger) => {
      if (started) return;
      started = true;
      try {
        const problems = (await check(cfg, agentIds)).filter((f) => !f.ok);
        for (const p of problems) logger.warn(`openclaw clawtell doctor would report: ${p.field}: ${p.message}${p.fix === undefined ? "" : ` → ${p.fix}`}`);
      } catch (err) {
        logger.warn({ err }, "the startup check of the ClawTell configuration did not finish");
      }
    },
  };
}

function defaultCheck(cfg: unknown, agentIds: () => readonly string[]): Promise<Finding[]> {
  const io = { out: () => undefined, err: () => undefined };
  return diagnose({ io, cfg, stateDir: "", clientFor, agentIds, timeoutMs: 10_000 });
}
