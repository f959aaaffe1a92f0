/** `clawtell admin …`: operator actions on a server's data folder (safe while the server runs). */

import type { Command } from "commander";
import { explainDataDirError, resolveDataDir } from "../data-dir.js";
import { ClawTellError } from "../../infra/errors.js";
import { CommandExit, type Io } from "../../infra/terminal-io.js";
import type { MigrationReport } from "../../server/migrate-to-postgres/index.js";
import { registerAdminApprovalCommands } from "./admin-approvals.js";
import { databaseOf, masterKeyOptions } from "./admin-storage.js";
import { registerAdminOperatorCommands, withDirectory } from "./admin-operator.js";
import { registerAdminSignupCommands } from "./admin-signup.js";
import { maxNamesPerAccount } from "./signup-options.js";

const wholeNumber = (flag: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ClawTellError("CT_BAD_REQUEST", `${flag} must be a whole number of 1 or more`, { field: flag });
  return n;
};

/** The report of a migration as lines for a person. */
function reportLines(report: MigrationReport): string[] {
  // A resumed run makes the target's rows of live tables the folder's: what it overwrote and removed (would, dry).
  const [overwritten, removed] = report.dryRun ? ["to overwrite", "to remove"] : ["overwritten", "removed"];
  const lines = report.tables.map((t) => {
    const changes = [...(t.overwrite > 0 ? [`${t.overwrite} ${overwritten}`] : []), ...(t.remove > 0 ? [`${t.remove} ${removed}`] : [])];
    return `${t.table}: ${t.rows} in the data folder, ${t.inTarget} in the target${changes.length === 0 ? "" : ` (${changes.join(", ")})`}`;
  });
  lines.push(`attachment bytes: ${report.fileBytes}`);
  if (report.missingFiles.length > 0) lines.push(`missing attachment files (not copied): ${report.missingFiles.join(", ")}`);
  lines.push(`target: ${report.target.state}${report.target.problem === undefined ? "" : ` (${report.target.problem})`}`);
  if (report.checks !== undefined) lines.push("verified: counts and checksums match for every table");
  return lines;
}

/** Registers `clawtell admin` and its subcommands (`create-name`, `migrate`). */
export function registerAdminCommands(program: Command, io: Io): void {
  const admin = program.command("admin").description("administer the embedded server's names and accounts");
  admin
    .command("create-name <name>")
    .description("create a ClawTell name and print {name, fullName, apiKey, accountId} as JSON; the key is shown once")
    .requiredOption("--email <email>", "owner email; names with the same email share one account")
    .option("--data <dir>", "data folder (default: $CLAWTELL_DATA_DIR or ./.clawtell-data)")
    .option("--database <url>", "the PostgreSQL database of servers run with --database (default: $CLAWTELL_DATABASE_URL)")
    .option("--max-names-per-account <n>", "refuse the name when the email's account has this many (default: $CLAWTELL_MAX_NAMES_PER_ACCOUNT or 5)")
    .addHelpText("after", "\nExample:\n  clawtell admin create-name alice --email you@example.com")
    .action(async (name: string, opts: { email: string; data?: string; database?: string; maxNamesPerAccount?: string }) => {
      const { createName } = await import("../../server/administration.js");
      const limit = maxNamesPerAccount(opts.maxNamesPerAccount, process.env);
      io.out(JSON.stringify(await withDirectory(opts, (directory) => createName(directory, { name, email: opts.email }, { maxNamesPerAccount: limit }))));
    });
  admin
    .command("migrate")
    .description("copy a data folder into PostgreSQL (stop its server first): names, keys, lists, profiles, messages, files, approvals, receipts, webhooks, quotas, sign-ups, sessions, audit log; resumable and verified")
    .requiredOption("--to <url>", "the target database, postgres://user@host:port/database")
    .option("--data <dir>", "data folder (default: $CLAWTELL_DATA_DIR or ./.clawtell-data)")
    .option("--dry-run", "report what would be copied and whether the target can take it; write nothing")
    .option("--json", "print one JSON report at the end instead of lines")
    .option("--batch-size <n>", "rows per batch, each written in one transaction (default 500)", wholeNumber("--batch-size"))
    .option("--max-batches <n>", "stop after this many batches; the same command run again continues", wholeNumber("--max-batches"))
    .option("--master-key-file <path>", "the key file the folder's server ran with (default: <data>/master.key, or $CLAWTELL_MASTER_KEY)")
    .addHelpText(
      "after",
      "\nExample:\n  clawtell admin migrate --data ./.clawtell-data --to postgres://clawtell@db.internal/clawtell --dry-run",
    )
    .action(async (opts: { to: string; data?: string; dryRun?: boolean; json?: boolean; batchSize?: number; maxBatches?: number; masterKeyFile?: string }) => {
      const { migrateToPostgres } = await import("../../server/migrate-to-postgres/index.js");
      const dataDir = resolveDataDir(opts.data, process.env, process.cwd());
      const json = opts.json === true;
      let report: MigrationReport;
      try {
        report = await migrateToPostgres({
          dataDir,
          to: opts.to,
          dryRun: opts.dryRun === true,
          masterKey: process.env["CLAWTELL_MASTER_KEY"],
          masterKeyFile: opts.masterKeyFile,
          ...(opts.batchSize === undefined ? {} : { batchSize: opts.batchSize }),
          ...(opts.maxBatches === undefined ? {} : { maxBatches: opts.maxBatches }),
          onProgress: (p) => {
            if (!json) io.err(`${p.table}: ${p.done} of ${p.total}`);
          },
        });
      } catch (err) {
        throw explainDataDirError(err, dataDir);
      }
      if (json) io.out(JSON.stringify(report));
      else for (const line of reportLines(report)) io.out(line);
      if (report.stoppedAfterBatches !== undefined) {
        io.err(`stopped after ${report.stoppedAfterBatches} batches; run the same command again to continue`);
        throw new CommandExit(1);
      }
      if (report.dryRun && (report.target.state === "unreachable" || report.target.state === "conflict")) throw new CommandExit(1);
    });
  admin
    .command("rotate-master-key")
    .description("add a new master key and make it current; content sealed under the old keys is re-sealed under it (by the running server, in the background)")
    .option("--data <dir>", "data folder (default: $CLAWTELL_DATA_DIR or ./.clawtell-data)")
    .option("--database <url>", "the PostgreSQL database of servers run with --database (default: $CLAWTELL_DATABASE_URL); needs --master-key-file")
    .option("--master-key-file <path>", "the key file the servers are run with (default: <data>/master.key); made when missing")
    .option("--json", "print one JSON report")
    .addHelpText("after", "\nExample:\n  clawtell admin rotate-master-key --data ./.clawtell-data")
    .action(async (opts: { data?: string; database?: string; masterKeyFile?: string; json?: boolean }) => {
      const { rotateMasterKey } = await import("../../server/administration.js");
      const database = databaseOf(opts);
      const dataDir = database === undefined ? resolveDataDir(opts.data, process.env, process.cwd()) : undefined;
      const keys = masterKeyOptions(opts);
      const report = await rotateMasterKey({ ...keys, ...(database === undefined ? { dataDir } : { database }) }).catch((err: unknown) => {
        throw dataDir === undefined ? err : explainDataDirError(err, dataDir);
      });
      if (opts.json === true) {
        io.out(JSON.stringify(report));
        return;
      }
      io.out(`new master key ${report.keyId}${report.previous === undefined ? "" : ` (was ${report.previous})`} in ${report.keyFile}`);
      if (report.resealed === "server") io.out("the running server re-seals the stored content under it in the background");
      else io.out(`re-sealed ${report.resealed.rows} rows and ${report.resealed.files} files${report.resealed.failed > 0 ? `; ${report.resealed.failed} did not open (see the log)` : ""}`);
    });
  admin
    .command("retire-master-key <keyId>")
    .description("remove an old master key from the key file, once no stored row or file is sealed under it (refused otherwise, naming how many remain)")
    .option("--data <dir>", "data folder, its server stopped (default: $CLAWTELL_DATA_DIR or ./.clawtell-data)")
    .option("--database <url>", "the PostgreSQL database of servers run with --database (default: $CLAWTELL_DATABASE_URL); needs --master-key-file")
    .option("--master-key-file <path>", "the key file the servers are run with (default: <data>/master.key)")
    .option("--json", "print one JSON report")
    .addHelpText("after", "\nExample:\n  clawtell admin retire-master-key k3f9a61c2d0 --data ./.clawtell-data")
    .action(async (keyId: string, opts: { data?: string; database?: string; masterKeyFile?: string; json?: boolean }) => {
      const { retireMasterKey } = await import("../../server/administration.js");
      const database = databaseOf(opts);
      const dataDir = database === undefined ? resolveDataDir(opts.data, process.env, process.cwd()) : undefined;
      const report = await retireMasterKey({ ...masterKeyOptions(opts), keyId, ...(database === undefined ? { dataDir } : { database }) }).catch((err: unknown) => {
        throw dataDir === undefined ? err : explainDataDirError(err, dataDir);
      });
      if (opts.json === true) io.out(JSON.stringify(report));
      else io.out(`retired master key ${report.keyId}; ${report.keyFile} holds ${report.keysLeft} key${report.keysLeft === 1 ? "" : "s"}`);
    });
  registerAdminOperatorCommands(admin, io);
  registerAdminApprovalCommands(admin, io);
  registerAdminSignupCommands(admin, io);
}
