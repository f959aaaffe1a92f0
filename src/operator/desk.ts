/**
 * The running side of operator commands for a whole process: every account registers its daemon under its state
 * folder, and one request server per folder (requests.ts) carries out `dead-letters retry | purge` and
 * answers `status` for the account named in each request. Accounts of one process may share a folder or have their own;
 * processes may share a folder too (each answers for its own accounts).
 */

import type { Logger } from "../infra/index.js";
import type { AccountDaemonHandle, AccountRegistrar, DaemonStatus } from "../daemon/index.js";
import { serveOperatorRequests, type LiveAccountStatus, type OperatorAnswer, type OperatorRequest, type OperatorRequestServer } from "./requests.js";

export interface OperatorDesk extends AccountRegistrar {
  /** Serves requests for `accountId` from `stateDir` until the returned function is called. */
  register(stateDir: string, accountId: string, daemon: AccountDaemonHandle): Promise<() => Promise<void>>;
}

/** The daemon's state as `status` reports it. */
function liveStatusOf(status: DaemonStatus): LiveAccountStatus {
  const { receiver } = status;
  const lastError = receiver.lastError?.message ?? status.lastAckError;
  return {
    transport: receiver.transport,
    connected: receiver.connected,
    pending: status.pending,
    deadLetters: status.deadLetters,
    paused: status.paused,
    ...(lastError === undefined ? {} : { lastError }),
    ...(receiver.lastMessageAt === undefined ? {} : { lastMessageAt: receiver.lastMessageAt }),
  };
}

async function carryOut(daemon: AccountDaemonHandle, request: OperatorRequest): Promise<OperatorAnswer> {
  switch (request.op) {
    case "retry":
      return { count: await daemon.retryDeadLetters(request.messageId) };
    case "purge":
      return { count: await daemon.queue.purgeDead(request.messageId) };
    case "status":
      return { count: 0, status: liveStatusOf(daemon.status()) };
  }
}

interface Folder {
  readonly accounts: Map<string, AccountDaemonHandle>;
  readonly server: Promise<OperatorRequestServer>;
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
        // Another process may run that account from the same folder: its request is left to it.
        return daemon === undefined ? undefined : carryOut(daemon, request);
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
      const opened = folders.get(stateDir);
      const folder = opened ?? open(stateDir);
      folder.accounts.set(accountId, daemon);
      // A request may have come in for this account while it was starting. A folder opened just now is read in full
      // by its new watcher; one already watched has reported its files before this account was here.
      const server = await folder.server;
      if (opened !== undefined) await server.rescan();
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
