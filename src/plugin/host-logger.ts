/**
 * Our pino Logger, written into OpenClaw's log (`ctx.log` / `api.logger`): records keep pino's redaction, then become
 * one line `message key=value …` at the matching host level.
 */

import { pino } from "pino";
import { REDACT_PATHS, type Logger } from "../infra/index.js";

/** The logger shape OpenClaw hands to plugins (`ChannelLogSink`, `PluginLogger`). */
export interface HostLogSink {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

const OMITTED = new Set(["level", "time", "pid", "hostname", "msg"]);

function render(value: unknown): string {
  if (typeof value === "string") return /\s/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** One pino JSON line → the host's level and a readable line. */
export function writeToHost(sink: HostLogSink, line: string): void {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    sink.info(line.trim());
    return;
  }
  const level = typeof record["level"] === "number" ? record["level"] : 30;
  const fields = Object.entries(record)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => {
      if (key === "err" && typeof value === "object" && value !== null) {
        const err = value as { type?: string; message?: string; code?: string };
        return `err=${render(`${err.code ?? err.type ?? "Error"}: ${err.message ?? ""}`)}`;
      }
      return `${key}=${render(value)}`;
    });
  const text = [typeof record["msg"] === "string" ? record["msg"] : "", ...fields].filter((p) => p !== "").join(" ");
  if (level >= 50) sink.error(text);
  else if (level >= 40) sink.warn(text);
  else if (level >= 30) sink.info(text);
  else sink.debug?.(text);
}

/** A Logger whose records land in the host's log. @param level pino level, default `info`. */
export function createHostLogger(sink: HostLogSink, level = "info"): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: "[redacted]" } }, { write: (line: string) => writeToHost(sink, line) });
}
