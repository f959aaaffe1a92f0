/** `clawtell server`: run the embedded ClawTell server until SIGINT/SIGTERM. */

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { ClawTellError } from "../../infra/errors.js";
import { resolveDataDir } from "../data-dir.js";
import type { Io } from "../output.js";

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ClawTellError("CT_BAD_REQUEST", `--port: "${value}" is not a port number (0–65535)`, { field: "port" });
  }
  return port;
}

export function registerServerCommand(program: Command, io: Io): void {
  program
    .command("server")
    .description("run the embedded ClawTell-compatible server")
    .option("--host <host>", "address to bind (use 0.0.0.0 only behind a TLS proxy)", "127.0.0.1")
    .option("--port <port>", "port to listen on (0 = any free port)", "8787")
    .option("--data <dir>", "data folder (default: $CLAWTELL_DATA_DIR or ./.clawtell-data)")
    .action(async (opts: { host: string; port: string; data?: string }) => {
      // Loaded on use, so other commands start fast.
      const { DATABASE_FILE, startServer } = await import("../../server/index.js");
      const { createLogger } = await import("../../infra/logger.js");
      const dataDir = resolveDataDir(opts.data, process.env, process.cwd());
      const fresh = !existsSync(join(dataDir, DATABASE_FILE));
      const server = await startServer({ host: opts.host, port: parsePort(opts.port), dataDir, logger: createLogger() });
      const lines = [`listening on ${server.url}`];
      if (fresh) {
        lines.push(`data in ${dataDir}`, `create a first name: npx clawtell admin create-name <name> --email <email> --data ${dataDir}`);
      }
      io.out(lines.join("\n"));
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await server.close();
    });
}
