/** A ClawTell client for one of the configured accounts, acting with the given key (the account's or a route's). */

import { createClawTellClient, type ClawTellClient } from "../client/index.js";
import type { ResolvedAccount } from "../config/index.js";

export const clientFor = (account: ResolvedAccount, apiKey: string): ClawTellClient =>
  createClawTellClient({ baseUrl: account.baseUrl, ...(account.sseUrl === null ? {} : { sseUrl: account.sseUrl }), apiKey });
