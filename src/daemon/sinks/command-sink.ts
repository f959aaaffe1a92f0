/**
 * Delivers a message to a non-OpenClaw agent by running a command (no shell) with the message JSON on stdin; each
 * attachment the daemon downloaded carries its local `path`.
 * Exit 0 = delivered. Exit 65 (EX_DATAERR from sysexits.h: "this message is bad, do not send it again") = refused,
 * dead letter at once. Any other exit, a signal, or the route's timeout = retry. Stderr's tail goes into the error.
 */

import { spawn } from "node:child_process";
import { ClawTellError, systemClock, timerOn, type Clock, type Logger } from "../../infra/index.js";
import type { DeliveryRequest, Sink } from "../contracts.js";

/** Exit code with which a command refuses a message for good (EX_DATAERR). */
export const EXIT_DATA_ERROR = 65;
/** How much of the end of stderr is kept for the error message. */
export const STDERR_TAIL_CHARS = 1_000;
/** How long stderr may stay open after the command exited before the outcome is decided without it. */
const STDERR_DRAIN_MS = 500;

/** What the command sink needs; everything is optional. */
export interface CommandSinkDeps {
  readonly logger?: Logger;
  /** What the route's timeout, the kill grace and the stderr drain wait on. @defaultValue systemClock */
  readonly clock?: Clock;
  /** Time between SIGTERM and SIGKILL when a command overruns its timeout or is cancelled. @defaultValue 2000 */
  readonly killGraceMs?: number;
}

/** Keeps the last `max` characters of what is appended. */
function tailBuffer(max: number): { push(chunk: Buffer): void; text(): string } {
  let text = "";
  return {
    push: (chunk) => {
      text = (text + chunk.toString("utf8")).slice(-max);
    },
    text: () => text.trim(),
  };
}

/** The message's attachments, each with the local `path` of its download where there is one. */
function withLocalPaths({ message, files }: DeliveryRequest): Array<Record<string, unknown>> {
  const paths = new Map(files.flatMap((f) => ("path" in f ? [[f.attachment.fileId, f.path] as const] : [])));
  return message.attachments.map((a) => {
    const path = paths.get(a.fileId);
    return path === undefined ? { ...a } : { ...a, path };
  });
}

/** Creates the sink for `command` routes. */
export function createCommandSink(deps: CommandSinkDeps = {}): Sink {
  const log = deps.logger?.child({ component: "daemon.command" });
  const killGraceMs = deps.killGraceMs ?? 2_000;
  const clock = deps.clock ?? systemClock;
  return {
    /** (1) spawn without a shell, (2) write the JSON to stdin, (3) wait for exit or timeout, (4) map exit code. */
    deliver(request: DeliveryRequest) {
      const { message, route, attempt, signal } = request;
      const target = route.target;
      if (target.kind !== "command") {
        return Promise.reject(new ClawTellError("CT_ROUTE_UNKNOWN", "not a command route", { retryable: false }));
      }
      if (signal.aborted) return Promise.reject(new ClawTellError("CT_ABORTED", `command ${target.command}: delivery cancelled`));
      return new Promise<void>((resolve, reject) => {
        const child = spawn(target.command, [...target.args], { stdio: ["pipe", "ignore", "pipe"], shell: false });
        const stderr = tailBuffer(STDERR_TAIL_CHARS);
        let stopping: "timeout" | "aborted" | undefined;
        let cancelKill: (() => void) | undefined;
        let cancelDrain: (() => void) | undefined;
        let settled = false;

        const stop = (why: "timeout" | "aborted"): void => {
          if (stopping !== undefined || child.exitCode !== null || child.signalCode !== null) return;
          stopping = why;
          child.kill("SIGTERM");
          // A command that ignores SIGTERM must not hold the delivery (and its order key) forever.
          cancelKill = timerOn(clock, killGraceMs, () => child.kill("SIGKILL"));
        };
        const cancelTimeout = timerOn(clock, target.timeoutMs, () => stop("timeout"));
        const onAbort = (): void => stop("aborted");
        signal.addEventListener("abort", onAbort, { once: true });

        const finish = (error: ClawTellError | undefined): void => {
          if (settled) return;
          settled = true;
          cancelTimeout();
          cancelKill?.();
          cancelDrain?.();
          signal.removeEventListener("abort", onAbort);
          if (error === undefined) {
            log?.debug({ messageId: message.id, attempt }, "command accepted the message");
            resolve();
          } else {
            reject(error);
          }
        };

        child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
        child.on("error", (err) => {
          // The command could not be started (not found, not executable): retried, an operator may fix the config.
          finish(new ClawTellError("CT_SINK_FAILED", `command ${target.command} could not run: ${err.message}`, { cause: err }));
        });
        const conclude = (code: number | null, killedBy: NodeJS.Signals | null): void => {
          const tail = stderr.text() === "" ? "" : `: ${stderr.text()}`;
          if (stopping === "aborted") return finish(new ClawTellError("CT_ABORTED", `command ${target.command}: delivery cancelled`));
          if (stopping === "timeout") {
            return finish(new ClawTellError("CT_TIMEOUT", `command ${target.command} timed out after ${target.timeoutMs} ms${tail}`));
          }
          if (code === 0) return finish(undefined);
          const refused = code === EXIT_DATA_ERROR;
          const how = code === null ? `was killed by ${String(killedBy)}` : `exited with ${code}${refused ? " (refused, not retried)" : ""}`;
          finish(new ClawTellError("CT_SINK_FAILED", `command ${target.command} ${how}${tail}`, { retryable: !refused }));
        };
        child.on("close", conclude);
        child.on("exit", (code, killedBy) => {
          // A background grandchild may keep stderr open long after the command exited: do not wait for it.
          if (settled) return;
          cancelDrain = timerOn(clock, STDERR_DRAIN_MS, () => {
            child.stderr.destroy();
            conclude(code, killedBy);
          });
        });
        // A command that exits without reading stdin closes the pipe (EPIPE); its exit code still decides.
        child.stdin.on("error", () => undefined);
        child.stdin.end(JSON.stringify({ ...message, attachments: withLocalPaths(request), to_name: route.recipient, accountId: route.accountId, deliveryId: message.id, attempt }));
      });
    },
  };
}
