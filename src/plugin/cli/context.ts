/** What the `openclaw clawtell` commands are given: OpenClaw's config, where queues live, and how to reach ClawTell. */

import type { ClawTellClient } from "../../client/index.js";
import type { ResolvedAccount } from "../../config/index.js";
import type { Io } from "../../infra/index.js";

export interface OperatorContext {
  readonly io: Io;
  /** openclaw.json as OpenClaw loaded it. */
  readonly cfg: unknown;
  /** `<OpenClaw state dir>/clawtell`: the queue folder of accounts that set no `stateDir`. */
  readonly stateDir: string;
  /** A client for an account, acting with `apiKey`. */
  readonly clientFor: (account: ResolvedAccount, apiKey: string) => ClawTellClient;
  /** The agent ids OpenClaw knows in `cfg` (`agents.entries`, else the default agent). */
  readonly agentIds: () => readonly string[];
  /** The folder `send --attach` reads files from (the working folder); files outside it are refused. */
  readonly cwd?: string;
  /** How long one ClawTell call of `status` / `doctor` may take. @defaultValue 5000 */
  readonly timeoutMs?: number;
}
