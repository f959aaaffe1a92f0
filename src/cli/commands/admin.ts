/** `clawtell admin …`: operator actions on a server's data folder (safe while the server runs). */

import type { Command } from "commander";
import { resolveDataDir } from "../data-dir.js";
import type { Io } from "../output.js";

export function registerAdminCommands(program: Command, io: Io): void {
  const admin = program.command("admin").description("administer the embedded server's names and accounts");
  admin
    .command("create-name <name>")
    .description("create a ClawTell name; prints its API key once (same email = same account)")
    .requiredOption("--email <email>", "owner email; names with the same email share one account")
    .option("--data <dir>", "data folder (default: $CLAWTELL_DATA_DIR or ./.clawtell-data)")
    .action(async (name: string, opts: { email: string; data?: string }) => {
      const { createName, openSqliteStore } = await import("../../server/index.js");
      const store = openSqliteStore({ dataDir: resolveDataDir(opts.data, process.env, process.cwd()) });
      try {
        io.out(JSON.stringify(await createName(store, { name, email: opts.email })));
      } finally {
        store.close();
      }
    });
}
