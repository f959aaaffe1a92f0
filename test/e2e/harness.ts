// The real OpenClaw gateway as a child process, isolated in a temp folder: its own OPENCLAW_STATE_DIR,
// OPENCLAW_CONFIG_PATH, HOME and TMPDIR; our plugin packed once with `npm pack` and installed from the tarball.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

export const PROJECT_ROOT = resolve(import.meta.dirname, "../..");
const OPENCLAW_BIN = join(PROJECT_ROOT, "node_modules", "openclaw", "openclaw.mjs");
const NODE_DIR = dirname(process.execPath);

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** What a run may be given: `input` is piped into its stdin, which then ends (a prompt reads it, then sees the end). */
export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
  readonly input?: string;
}

/** Runs a command to its end, killing it (by its PID) when it overruns `timeoutMs`. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? PROJECT_ROOT, env: options.env ?? process.env, stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    if (options.input !== undefined) child.stdin?.end(options.input);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Builds the project and packs it as it ships; resolves with the tarball path (in `outDir`). */
export async function packPlugin(outDir: string): Promise<string> {
  const env = { ...process.env, PATH: `${NODE_DIR}:${process.env["PATH"] ?? ""}` };
  // Under `npm test` the pretest script has just built dist/; otherwise build it here (tsc, then the bundles).
  if (process.env["npm_lifecycle_event"] !== "test") {
    const compiled = await run(process.execPath, [join(PROJECT_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], { env, timeoutMs: 180_000 });
    // tsc still emits on type errors; CLAWTELL_E2E_ALLOW_BUILD_ERRORS=1 lets a developer run e2e while another part is mid-change.
    if (compiled.code !== 0 && process.env["CLAWTELL_E2E_ALLOW_BUILD_ERRORS"] !== "1") throw new Error(`build failed:\n${compiled.stdout}${compiled.stderr}`);
    const bundled = await run("npm", ["run", "--silent", "bundle"], { env, timeoutMs: 120_000 });
    if (bundled.code !== 0) throw new Error(`bundling failed:\n${bundled.stdout}${bundled.stderr}`);
  }
  await mkdir(outDir, { recursive: true });
  const pack = await run("npm", ["pack", "--silent", "--pack-destination", outDir], { env, timeoutMs: 120_000 });
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  const tgz = (await readdir(outDir)).find((f) => f.endsWith(".tgz"));
  if (tgz === undefined) throw new Error(`npm pack wrote no tarball: ${pack.stdout}`);
  return join(outDir, tgz);
}

export interface Gateway {
  readonly pid: number;
  readonly port: number;
  /** Everything the process printed so far. */
  output(): string;
  /** Resolves when the output matches, or rejects after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM (clean stop, waits for exit) or SIGKILL (crash). */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
}

/** A command running in a pseudo-terminal. */
export interface TerminalRun {
  /** Waits until the output since the last answer matches `question` (escape codes removed), then types `keys`. */
  answer(question: RegExp, keys: string, timeoutMs?: number): Promise<void>;
  /** The exit code and everything printed (escape codes removed). */
  readonly exited: Promise<{ code: number | null; output: string }>;
  /** Ends the command if it still runs. */
  kill(): void;
}

/** Terminal escape sequences (colours, cursor moves), which a prompt's text is interleaved with. */
const TERMINAL_ESCAPES = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Za-z0-9]/g;

/** Runs `command` with `args` in a pseudo-terminal made by util-linux `script`; stdin becomes the terminal's keyboard. */
function runInTerminal(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): TerminalRun {
  const quoted = [command, ...args].map((part) => `'${part.replaceAll("'", "'\\''")}'`).join(" ");
  // The terminal `script` makes has no size (0 columns: a prompt would wrap at every character) until it is given one.
  const child = spawn("script", ["--quiet", "--return", "--flush", "--command", `stty cols 120 rows 40 && exec ${quoted}`, "/dev/null"], { cwd: options.cwd, env: { ...options.env, TERM: "xterm-256color" }, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  let answeredUpTo = 0;
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString().replace(TERMINAL_ESCAPES, "");
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
  const exited = new Promise<{ code: number | null; output: string }>((resolvePromise) => {
    child.once("close", (code) => {
      clearTimeout(timer);
      for (const listener of listeners) listener();
      resolvePromise({ code, output });
    });
  });
  let closed = false;
  void exited.then(() => (closed = true));
  return {
    exited,
    kill: () => {
      if (!closed) child.kill("SIGKILL");
    },
    answer: (question, keys, timeoutMs = 120_000) =>
      new Promise<void>((resolvePromise, reject) => {
        const check = (): void => {
          if (question.test(output.slice(answeredUpTo))) {
            done();
            answeredUpTo = output.length;
            child.stdin?.write(keys);
            resolvePromise();
          } else if (closed) {
            done();
            reject(new Error(`the command ended before ${question}:\n${output.slice(-3000)}`));
          }
        };
        const timeout = setTimeout(() => {
          done();
          reject(new Error(`no ${question} within ${timeoutMs} ms:\n${output.slice(-3000)}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timeout);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      }),
  };
}

export interface OpenClawHarness {
  readonly scratch: string;
  readonly stateDir: string;
  readonly configPath: string;
  readonly logFile: string;
  readonly env: NodeJS.ProcessEnv;
  writeConfig(config: Record<string, unknown>): Promise<void>;
  readConfig(): Promise<Record<string, unknown>>;
  /** Runs `openclaw <args>` in the isolated environment (in the scratch folder, unless `cwd` names another). */
  openclaw(args: readonly string[], options?: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string; cwd?: string }): Promise<RunResult>;
  /**
   * Runs `openclaw <args>` in a pseudo-terminal (util-linux `script`), as a person at a terminal does, so that its
   * interactive questions are asked; the answers are typed one question at a time.
   */
  openclawInTerminal(args: readonly string[], options?: { timeoutMs?: number }): TerminalRun;
  installPlugin(tarball: string): Promise<RunResult>;
  /** Installs a published plugin as a user would (`openclaw plugins install npm:<spec>`), from the npm cache or registry. */
  installNpmPlugin(spec: string): Promise<RunResult>;
  startGateway(options?: { readyTimeoutMs?: number }): Promise<Gateway>;
  /** The gateway's log file (JSON lines written by OpenClaw). */
  readLog(): Promise<string>;
  /** Stops every gateway this harness started and removes the scratch folder. */
  cleanup(): Promise<void>;
}

export async function createOpenClawHarness(): Promise<OpenClawHarness> {
  const scratch = await mkdtemp(join(tmpdir(), "clawtell-e2e-"));
  const stateDir = join(scratch, "state");
  const configPath = join(stateDir, "openclaw.json");
  const logFile = join(scratch, "out", "gateway.log");
  await Promise.all(["state", "home", "tmp", "out"].map((d) => mkdir(join(scratch, d), { recursive: true })));
  // OpenClaw changes behaviour under a test runner (quiet console, test timeouts): the child must not look like one.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(VITEST|NODE_ENV$|TEST$|TINYPOOL|JEST)/.test(key)));
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    PATH: `${NODE_DIR}:${process.env["PATH"] ?? ""}`,
    OPENCLAW_STATE_DIR: stateDir,
    OPENCLAW_CONFIG_PATH: configPath,
    HOME: join(scratch, "home"),
    TMPDIR: join(scratch, "tmp"),
    // The plugin's npm install reuses the machine's npm cache instead of downloading into the fresh HOME.
    npm_config_cache: process.env["npm_config_cache"] ?? join(homedir(), ".npm"),
    npm_config_prefer_offline: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
  const gateways: Gateway[] = [];

  const openclaw = (args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): Promise<RunResult> =>
    run(process.execPath, [OPENCLAW_BIN, ...args], {
      cwd: options.cwd ?? scratch,
      env: { ...env, ...options.env },
      timeoutMs: options.timeoutMs ?? 120_000,
      ...(options.input === undefined ? {} : { input: options.input }),
    });

  const startOnce = async (options: { readyTimeoutMs?: number }): Promise<Gateway> => {
    const config = JSON.parse(await readFile(configPath, "utf8")) as { gateway?: { port?: number } };
    const port = config.gateway?.port ?? 0;
    const child: ChildProcess = spawn(process.execPath, [OPENCLAW_BIN, "gateway", "run"], { cwd: scratch, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const waiters = new Set<() => void>();
    const onData = (c: Buffer): void => {
      out += c.toString();
      for (const w of waiters) w();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    let exitedFlag = false;
    void exited.then(() => {
      exitedFlag = true;
      for (const w of waiters) w();
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error("gateway did not start");
    const gateway: Gateway = {
      pid,
      port,
      output: () => out,
      waitForOutput: (pattern, timeoutMs = 60_000) =>
        new Promise<void>((resolvePromise, reject) => {
          const check = (): void => {
            if (pattern.test(out)) done(undefined);
            else if (exitedFlag) done(new Error(`gateway exited before ${pattern}:\n${out.slice(-3000)}`));
          };
          const timer = setTimeout(() => done(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out.slice(-3000)}`)), timeoutMs);
          const done = (err: Error | undefined): void => {
            clearTimeout(timer);
            waiters.delete(check);
            if (err === undefined) resolvePromise();
            else reject(err);
          };
          waiters.add(check);
          check();
        }),
      async stop(signal = "SIGTERM") {
        if (exitedFlag) return;
        process.kill(pid, signal);
        const killer = setTimeout(() => {
          if (!exitedFlag) process.kill(pid, "SIGKILL");
        }, 30_000);
        await exited;
        clearTimeout(killer);
      },
    };
    gateways.push(gateway);
    await gateway.waitForOutput(/\[gateway\] ready/, options.readyTimeoutMs ?? 180_000);
    return gateway;
  };
  // OpenClaw gives its state-lease heartbeat a fixed 5 s to come up and exits when a busy machine misses it: start again.
  const startGateway = async (options: { readyTimeoutMs?: number } = {}): Promise<Gateway> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await startOnce(options);
      } catch (err) {
        if (attempt >= 3 || !/state lease heartbeat did not become ready/.test((err as Error).message)) throw err;
      }
    }
  };

  return {
    scratch,
    stateDir,
    configPath,
    logFile,
    env,
    writeConfig: (config) => writeFile(configPath, `${JSON.stringify({ logging: { file: logFile }, ...config }, null, 2)}\n`, { mode: 0o600 }),
    readConfig: async () => JSON.parse(await readFile(configPath, "utf8")) as Record<string, unknown>,
    openclaw,
    openclawInTerminal: (args, options = {}) => runInTerminal(process.execPath, [OPENCLAW_BIN, ...args], { cwd: scratch, env, timeoutMs: options.timeoutMs ?? 120_000 }),
    installPlugin: (tarball) => openclaw(["plugins", "install", `npm-pack:${tarball}`, "--force", "--accept-capabilities"], { timeoutMs: 300_000 }),
    installNpmPlugin: (spec) => openclaw(["plugins", "install", `npm:${spec}`, "--force", "--accept-capabilities"], { timeoutMs: 300_000 }),
    startGateway,
    readLog: async () => (existsSync(logFile) ? readFile(logFile, "utf8") : ""),
    async cleanup() {
      for (const g of gateways) await g.stop("SIGTERM");
      // CLAWTELL_E2E_KEEP=1 keeps the scratch folder (state, logs, gateway output) for a post-mortem.
      if (process.env["CLAWTELL_E2E_KEEP"] === "1") {
        await writeFile(join(scratch, "out", "gateway-output.txt"), gateways.map((g) => g.output()).join("\n----\n"));
        return;
      }
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

/** Whether a native build of OpenClaw's file helper (`@openclaw/fs-safe-<platform>`, an optional dependency) is installed. */
export function openClawNativeHelperInstalled(): boolean {
  const fromHelper = createRequire(createRequire(import.meta.url).resolve("@openclaw/fs-safe"));
  const manifest = JSON.parse(readFileSync(fromHelper.resolve("@openclaw/fs-safe/package.json"), "utf8")) as { optionalDependencies?: Record<string, string> };
  return Object.keys(manifest.optionalDependencies ?? {}).some((name) => {
    if (!name.startsWith("@openclaw/fs-safe-")) return false;
    try {
      fromHelper.resolve(`${name}/package.json`);
      return true;
    } catch {
      return false;
    }
  });
}
