#!/usr/bin/env node
/** The `clawtell` bin: wiring only. */
import { enableCompileCache } from "node:module";
import { processIo, runCli } from "./cli/index.js";

// Commands load their modules on use; the compile cache makes repeated starts (service restarts) faster.
enableCompileCache();
process.exitCode = await runCli(process.argv.slice(2), processIo);
