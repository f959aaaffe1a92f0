/** The `clawtell` commands, loaded by the bin (cli.ts) once the compile cache is on: wiring only. */
import { processIo, runCli } from "./cli/index.js";

process.exitCode = await runCli(process.argv.slice(2), processIo);
