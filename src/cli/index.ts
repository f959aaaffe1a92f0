/** The `clawtell` command's public surface: build or run it with an `Io` (the bin passes stdout/stderr). */
export { buildProgram, runCli } from "./program.js";
export { EXIT_USAGE, processIo, reportFailure, type Io } from "../infra/terminal-io.js";
export { DEFAULT_DATA_DIR, resolveDataDir } from "./data-dir.js";
