#!/usr/bin/env node
/** The `clawtell` bin: wiring only. */
import { runCli } from "./cli/program.js";
import { processIo } from "./cli/output.js";

process.exitCode = await runCli(process.argv.slice(2), processIo);
