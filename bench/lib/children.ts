/**
 * Child processes of the benchmarks (servers, idle-connection parkers): started with the soft fd limit raised to the
 * hard one, waited for by a line they print, and killed when the benchmark process exits, however it exits.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();

process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

/** Removes `dir` when the benchmark exits, if nothing removed it before. */
export function removeOnExit(dir: string): void {
  tempDirs.add(dir);
}

export interface StartedChild {
  child: ChildProcess;
  /** The first match of the awaited pattern. */
  match: RegExpExecArray;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
}

/**
 * Spawns `command args` (through `sh`, to run `ulimit -n <hard limit>` first: 10 000 sockets need more than the usual
 * 1 024 descriptors) and resolves once its stdout matches `ready`.
 */
export function spawnUntil(
  command: string,
  args: readonly string[],
  ready: RegExp,
  options: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: "ignore" | "pipe"; timeoutMs?: number } = {},
): Promise<StartedChild> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "sh", command, ...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.stdin ?? "ignore", "pipe", "inherit"],
    });
    live.add(child);
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    void exited.then(() => live.delete(child));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")}: no ${String(ready)} within ${options.timeoutMs ?? 90_000} ms`));
    }, options.timeoutMs ?? 90_000);
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = ready.exec(out);
      if (match === null) return;
      clearTimeout(timer);
      // Later output (a profiler's, `--trace-gc`) goes to our stderr, out of the figures.
      child.stdout?.removeAllListeners("data");
      child.stdout?.pipe(process.stderr);
      resolve({
        child,
        match,
        async stop() {
          child.kill("SIGTERM");
          await exited;
        },
      });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited early (${String(code)})`));
    });
  });
}
