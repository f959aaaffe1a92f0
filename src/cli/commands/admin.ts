/** `clawtell admin …`: operator actions on a server's data folder (safe while the server runs). */

import type { Command } from "commander";
import { explainDataDirError, resolveDataDir } from "../data-dir.js";
import type { Io } from "../../infra/terminal-io.js";
import { registerAdminOperatorCommands } from "./admin-operator.js";

/** Registers `clawtell admin` and its subcommands (`create-name`). */
export function registerAdminCommands(program: Command, io: Io): void {
  const admin = program.command("admin").description("administer the embedded server's names and accounts");
  admin
    .command("create-name <name>")
    .description("create a ClawTell name and print {name, fullName, apiKey, accountId} as JSON; the key is shown once")
    .requiredOption("--email <email>", "owner email; names with the same email share one account")
    .option("--data <dir>", "data folder (default: $CLAWTELL_DATA_DIR or ./.clawtell-data)")
    .option("--database <url>", "the PostgreSQL database of servers run with --database (default: $CLAWTELL_DATABASE_URL)")
    .addHelpText("after", "\nExample:\n  clawtell admin create-name alice --email you@example.com")
    .action(async (name: string, opts: { email: string; data?: string; database?: string }) => {
      const { createName, openEmbeddedDirectory, openPostgresStorage } = await import("../../server/index.js");
      const database = opts.database ?? (process.env["CLAWTELL_DATABASE_URL"]?.trim() || undefined);
      if (database !== undefined) {
        const storage = await openPostgresStorage({ url: database });
        try {
          io.out(JSON.stringify(await createName(storage.directory, { name, email: opts.email })));
        } finally {
          await storage.close();
        }
        return;
      }
      const dataDir = resolveDataDir(opts.data, process.env, process.cwd());
      let opened: ReturnType<typeof openEmbeddedDirectory>;
      try {
        opened = openEmbeddedDirectory({ dataDir });
      } catch (err) {
        throw explainDataDirError(err, dataDir);
      }
      try {
        io.out(JSON.stringify(await createName(opened.directory, { name, email: opts.email })));
      } finally {
        await opened.close();
      }
    });
  registerAdminOperatorCommands(admin, io);
}
