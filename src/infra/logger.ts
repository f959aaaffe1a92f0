/** Structured logging through pino, with secrets redacted wherever they appear in a log record. */

import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";

/** The narrow logger interface the project codes against (pino satisfies it; so does OpenClaw's logger adapter). */
export type Logger = Pick<PinoLogger, "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "child" | "level">;

/** Paths that may hold secrets in any log record. */
export const REDACT_PATHS = [
  "apiKey",
  "*.apiKey",
  "*.*.apiKey",
  "key",
  "*.key",
  "token",
  "*.token",
  "*.*.token",
  "botToken",
  "*.botToken",
  "secret",
  "*.secret",
  "webhookSecret",
  "*.webhookSecret",
  "webhook_secret",
  "*.webhook_secret",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "req.headers.authorization",
  "*.headers.authorization",
  "password",
  "*.password",
  "masterKey",
  "*.masterKey",
  "*.*.masterKey",
  "CLAWTELL_MASTER_KEY",
  "*.CLAWTELL_MASTER_KEY",
  "*.*.CLAWTELL_MASTER_KEY",
];

export interface LoggerOptions {
  /** @defaultValue "info" */
  readonly level?: string;
  readonly name?: string;
  /** Where lines go; defaults to stderr so stdout stays free for command output. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination({ fd: 2, sync: false });
  return pino(
    {
      level: options.level ?? process.env["CLAWTELL_LOG_LEVEL"] ?? "info",
      ...(options.name === undefined ? {} : { name: options.name }),
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    destination,
  );
}

/** A logger that drops everything (tests, quiet commands). */
export function createSilentLogger(): Logger {
  return pino({ level: "silent" });
}
