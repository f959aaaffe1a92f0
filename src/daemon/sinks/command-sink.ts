/**
 * Delivers a message to a non-OpenClaw agent by running a command (no shell) with the message JSON on stdin.
 * Exit 0 = delivered. Exit 65 (EX_DATAERR: "this message is bad") = dead at once. Any other exit, or the timeout
 * (the child is sent SIGTERM, then SIGKILL), = retry. The end of stderr goes into the error for operators.
 */

import { spawn } from "node:child_process";
import { ClawTellError } from "../../infra/index.js";
import type { DeliveryRequest, Sink } from "../contracts.js";

export const EXIT_DATA_ERROR = 65;
const STDERR_TAIL_CHARS = 500;

export function createCommandSink(): Sink {
  return {
    deliver({ message, route, attempt, signal }: DeliveryRequest) {
      const target = route.target;
      if (target.kind !== "command") return Promise.reject(new ClawTellError("CT_ROUTE_UNKNOWN", "not a command route", { retryable: false }));
      return new Promise<void>((resolve, reject) => {
        const child = spawn(target.command, [...target.args], { stdio: ["pipe", "ignore", "pipe"], signal });
        let stderr = "";
        let timedOut = false;
        child.stderr.on("data", (chunk: Buffer) => {
          stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_CHARS);
        });
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 2000).unref();
        }, target.timeoutMs);
        child.on("error", (err) => {
          clearTimeout(timer);
          reject(new ClawTellError("CT_SINK_FAILED", `command ${target.command}: ${err.message}`, { cause: err }));
        });
        child.on("close", (code) => {
          clearTimeout(timer);
          if (code === 0 && !timedOut) return resolve();
          const why = timedOut ? `timed out after ${target.timeoutMs} ms` : `exited with ${String(code)}`;
          const tail = stderr.trim() === "" ? "" : `: ${stderr.trim()}`;
          reject(new ClawTellError("CT_SINK_FAILED", `command ${target.command} ${why}${tail}`, { retryable: code !== EXIT_DATA_ERROR || timedOut }));
        });
        child.stdin.on("error", () => undefined); // a command that ignores stdin is fine
        child.stdin.end(JSON.stringify({ ...message, to_name: route.recipient, accountId: route.accountId, attempt }));
      });
    },
  };
}
