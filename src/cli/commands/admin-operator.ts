/**
 * `clawtell admin` operator commands on names that exist: rotate-key, names, show, set, allow|disallow|block|unblock,
 * audit. Each opens the data folder (`--data`) or the database (`--database`) beside a running server, prints a table
 * (or `--json`), and closes it again.
 */

import type { Command } from "commander";
import { ClawTellError } from "../../infra/index.js";
import type { Io } from "../../infra/terminal-io.js";
import type { AuditEntry, DirectoryStore, NameDetails, NameSummary } from "../../server/administration.js";
import { withAdminStores, type StorageFlags } from "./admin-storage.js";

/** Opens the directory the flags name (the database when given or set in the environment, else the data folder). */
export async function withDirectory<T>(opts: StorageFlags, work: (directory: DirectoryStore) => Promise<T>): Promise<T> {
  return withAdminStores(opts, ({ directory }) => work(directory));
}

/** Rows as aligned columns under a header line. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** The flags every operator command takes: where the storage is, and `--json`. */
export const storageOptions = (command: Command): Command =>
  command
    .option("--data <dir>", "data folder (default: $CLAWTELL_DATA_DIR or ./.clawtell-data)")
    .option("--database <url>", "the PostgreSQL database of servers run with --database (default: $CLAWTELL_DATABASE_URL)")
    .option("--master-key-file <path>", "the master key file the server is run with, to open sealed message text (default: <data>/master.key; $CLAWTELL_MASTER_KEY takes its place)")
    .option("--json", "print JSON instead of a table");

const nameRows = (names: readonly NameSummary[]): string[][] =>
  names.map((n) => [n.fullName, n.email, n.accountId, n.communicationMode, n.deliveryPolicy, n.createdAt]);
const NAME_HEADERS = ["NAME", "EMAIL", "ACCOUNT", "MODE", "POLICY", "CREATED"];

function printDetails(io: Io, details: NameDetails, json: boolean | undefined): void {
  if (json === true) {
    io.out(JSON.stringify(details));
    return;
  }
  const list = (names: readonly string[]) => (names.length === 0 ? "-" : names.join(", "));
  const rows: Array<[string, string]> = [
    ["name", details.fullName],
    ["email", details.email],
    ["account", details.accountId],
    ["communication mode", details.communicationMode],
    ["delivery policy", details.deliveryPolicy],
    ["webhook", details.webhookUrl ?? "-"],
    ["created", details.createdAt],
    ["auto-reply allowlist", list(details.lists.autoReplyAllowlist)],
    ["delivery allowlist", list(details.lists.deliveryAllowlist)],
    ["delivery blocklist", list(details.lists.deliveryBlocklist)],
  ];
  for (const line of formatTable(["FIELD", "VALUE"], rows)) io.out(line);
}

const auditRows = (entries: readonly AuditEntry[]): string[][] =>
  entries.map((e) => [new Date(e.at).toISOString(), e.action, e.name ?? "-", e.actor, e.ip ?? "-", e.detail ?? ""]);

function parseLimit(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const limit = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(limit)) {
    throw new ClawTellError("CT_BAD_REQUEST", `limit: "${raw}" is not a whole number`, { field: "limit" });
  }
  return limit;
}

/** Asks on a terminal to type the name again; without a terminal, `--yes` is required. */
async function confirmDeletion(name: string): Promise<void> {
  if (process.stdin.isTTY !== true) {
    throw new ClawTellError("CT_BAD_REQUEST", `yes: deleting "${name}" removes its messages and lists for good; add --yes to confirm`, { field: "yes" });
  }
  const { createInterface } = await import("node:readline/promises");
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`delete ${name} with its messages and lists for good? type the name to confirm: `);
    if (answer.trim() !== name) throw new ClawTellError("CT_BAD_REQUEST", "yes: not confirmed; nothing was deleted", { field: "yes" });
  } finally {
    prompt.close();
  }
}

/** Registers the operator commands under `clawtell admin`. */
export function registerAdminOperatorCommands(admin: Command, io: Io): void {
  storageOptions(
    admin
      .command("rotate-key <name>")
      .description("give a name a new API key and print it once; the old key stops working at once, also in a running server"),
  ).action(async (name: string, opts: StorageFlags) => {
    const { rotateNameKey } = await import("../../server/administration.js");
    const rotated = await withDirectory(opts, (directory) => rotateNameKey(directory, name));
    if (opts.json === true) io.out(JSON.stringify(rotated));
    else {
      io.out(`new API key of tell/${rotated.name} (shown once; the old key no longer works):`);
      io.out(rotated.apiKey);
    }
  });

  storageOptions(
    admin
      .command("names")
      .description("list the names with their account and settings")
      .option("--account <id>", "only the names of this account")
      .option("--email <email>", "only the names of this email's account"),
  ).action(async (opts: StorageFlags & { account?: string; email?: string }) => {
    const { listNames } = await import("../../server/administration.js");
    const names = await withDirectory(opts, (directory) =>
      listNames(directory, { ...(opts.account === undefined ? {} : { account: opts.account }), ...(opts.email === undefined ? {} : { email: opts.email }) }),
    );
    if (opts.json === true) io.out(JSON.stringify(names));
    else for (const line of formatTable(NAME_HEADERS, nameRows(names))) io.out(line);
  });

  storageOptions(admin.command("show <name>").description("a name's account, settings and lists")).action(async (name: string, opts: StorageFlags) => {
    const { showName } = await import("../../server/administration.js");
    printDetails(io, await withDirectory(opts, (directory) => showName(directory, name)), opts.json);
  });

  storageOptions(
    admin
      .command("set <name>")
      .description("change a name's communication mode and/or delivery policy")
      .option("--mode <mode>", "communication mode: anyone, allowlist_only or manual_only")
      .option("--policy <policy>", "delivery policy: everyone, everyone_except_blocklist, allowlist_only or approval_required"),
  ).action(async (name: string, opts: StorageFlags & { mode?: string; policy?: string }) => {
    const { setNameSettings } = await import("../../server/administration.js");
    const input = { ...(opts.mode === undefined ? {} : { mode: opts.mode }), ...(opts.policy === undefined ? {} : { policy: opts.policy }) };
    printDetails(io, await withDirectory(opts, (directory) => setNameSettings(directory, name, input)), opts.json);
  });

  const listCommands = [
    ["allow", "add <other> to the name's delivery allowlist (used by delivery policy allowlist_only)"],
    ["disallow", "remove <other> from the name's delivery allowlist"],
    ["block", "add <other> to the name's delivery blocklist (used by delivery policy everyone_except_blocklist)"],
    ["unblock", "remove <other> from the name's delivery blocklist"],
  ] as const;
  for (const [change, description] of listCommands) {
    storageOptions(admin.command(`${change} <name> <other>`).description(description)).action(async (name: string, other: string, opts: StorageFlags) => {
      const { changeNameList } = await import("../../server/administration.js");
      const result = await withDirectory(opts, (directory) => changeNameList(directory, change, name, other));
      if (opts.json === true) io.out(JSON.stringify(result));
      else {
        const list = result.list === "delivery_allow" ? "delivery allowlist" : "delivery blocklist";
        const verb = change === "allow" || change === "block" ? "added to" : "removed from";
        io.out(result.changed ? `tell/${result.other} ${verb} the ${list} of tell/${result.name}` : `no change: the ${list} of tell/${result.name} already says so`);
      }
    });
  }

  storageOptions(
    admin
      .command("delete-name <name>")
      .description("delete a name with its messages (undelivered ones too), attachments and lists; asks to confirm unless --yes")
      .option("--yes", "delete without asking"),
  ).action(async (name: string, opts: StorageFlags & { yes?: boolean }) => {
    const { deleteNameAsAdmin } = await import("../../server/administration.js");
    if (opts.yes !== true) await confirmDeletion(name);
    const deleted = await withDirectory(opts, (directory) => deleteNameAsAdmin(directory, name));
    if (opts.json === true) io.out(JSON.stringify(deleted));
    else io.out(`deleted tell/${deleted.name} with ${deleted.messages} messages and ${deleted.files} attachments`);
  });

  storageOptions(
    admin
      .command("audit")
      .description("the audit log of security actions, newest first")
      .option("--name <name>", "only actions on this name")
      .option("--limit <n>", "at most this many entries (default 50)"),
  ).action(async (opts: StorageFlags & { name?: string; limit?: string }) => {
    const { readAudit } = await import("../../server/administration.js");
    const limit = parseLimit(opts.limit);
    const entries = await withDirectory(opts, (directory) =>
      readAudit(directory, { ...(opts.name === undefined ? {} : { name: opts.name }), ...(limit === undefined ? {} : { limit }) }),
    );
    if (opts.json === true) io.out(JSON.stringify(entries));
    else for (const line of formatTable(["TIME", "ACTION", "NAME", "ACTOR", "IP", "DETAIL"], auditRows(entries))) io.out(line);
  });
}
