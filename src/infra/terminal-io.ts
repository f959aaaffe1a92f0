/** What commands print: results on stdout, user errors as one line on stderr with exit code 2. */

import { ClawTellError } from "./errors.js";

/** Where a command writes: `out` for results (stdout), `err` for errors (stderr); one call = one line. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** The process's own stdout and stderr. */
export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Exit code for input the user can fix. */
export const EXIT_USAGE = 2;

/** Ends a command with an exit code after it has said everything itself (e.g. `doctor` found problems). */
export class CommandExit extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = "CommandExit";
    this.exitCode = exitCode;
  }
}

/** Turns a failure into a one-line message and an exit code; unexpected errors keep their stack for bug reports. */
export function reportFailure(io: Io, err: unknown): number {
  if (err instanceof CommandExit) return err.exitCode;
  if (err instanceof ClawTellError) {
    // The code is what the docs and scripts go by (`CT_CONFLICT` for a second daemon); a usage error is said plainly.
    io.err(err.code === "CT_BAD_REQUEST" ? `error: ${err.message}` : `error: ${err.code}: ${err.message}`);
    return err.code === "CT_INTERNAL" ? 1 : EXIT_USAGE;
  }
  io.err(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return 1;
}
