/**
 * The running side of operator commands for a whole process: every account registers its daemon under its state
 * folder, and one request server per folder (operator-requests.ts) carries out `dead-letters retry | purge` for the
 * account named in each request. Accounts of one process may share a folder or have their own.
 */

import type { Logger } from "../infra/index.js";
import type { AccountDaemonHandle } from "./account-daemon.js";
import { serveOperatorRequests } from "./operator-requests.js";

export interface OperatorDesk {
  /** Serves requests for `accountId` from `stateDir` until the returned function is called. */
  register(stateDir: string, accountId: string, daemon: AccountDaemonHandle): Promise<() => Promise<void>>;
}

interface Folder {
  readonly accounts: Map<string, AccountDaemonHandle>;
  readonly server: Promise<{ close(): Promise<void> }>;
}

export function createOperatorDesk(logger: Logger): OperatorDesk {
  const folders = new Map<string, Folder>();
  const log = logger.child({ component: "operator" });

  const open = (stateDir: string): Folder => {
    const accounts = new Map<string, AccountDaemonHandle>();
    const server = serveOperatorRequests(
      stateDir,
      async (request) => {
        const daemon = accounts.get(request.accountId);
        if (daemon === undefined) throw new Error(`account "${request.accountId}" is not running here`);
        return request.op === "retry" ? daemon.retryDeadLetters(request.messageId) : daemon.queue.purgeDead(request.messageId);
      },
      log,
    );
    const folder = { accounts, server };
    folders.set(stateDir, folder);
    server.catch(() => {
      if (folders.get(stateDir) === folder) folders.delete(stateDir);
    });
    return folder;
  };

  return {
    async register(stateDir, accountId, daemon) {
      const folder = folders.get(stateDir) ?? open(stateDir);
      folder.accounts.set(accountId, daemon);
      await folder.server;
      return async () => {
        if (folder.accounts.get(accountId) !== daemon) return;
        folder.accounts.delete(accountId);
        if (folder.accounts.size > 0 || folders.get(stateDir) !== folder) return;
        folders.delete(stateDir);
        await (await folder.server).close();
      };
    },
  };
}
