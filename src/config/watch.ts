/**
 * Watching openclaw.json (chokidar): a change is read after a quiet period and handed on only when it is valid; an
 * invalid or missing file is reported and the previous configuration stays in force. Never throws from an event.
 */

import { watch, type FSWatcher } from "chokidar";
import { ClawTellError, isClawTellError, readFileIfExists, systemClock, type Clock, type Logger } from "../infra/index.js";
import { parseOpenClawConfig, type LoadedOpenClawConfig } from "./load.js";

/** What {@link watchConfigFile} needs besides the path. */
export interface ConfigWatchDeps {
  readonly logger: Logger;
  /** Sleeps of the debounce (tests may inject a manual clock). @defaultValue systemClock */
  readonly clock?: Clock;
  /**
   * Quiet time after the last file event before the file is read; at least {@link MIN_CONFIG_DEBOUNCE_MS}, because
   * chokidar drops a change that follows an emitted one within 50 ms, and the read must come after that write.
   * @defaultValue 200
   */
  readonly debounceMs?: number;
  /** Told about a change that could not be used (invalid, unreadable or removed file). */
  readonly onError?: (err: ClawTellError) => void;
}

/** A running watch. */
export interface ConfigWatchHandle {
  /** Stops watching and waits for a reload in progress to finish. */
  close(): Promise<void>;
}

/** Default quiet period: editors and `openclaw config set` write in several steps. */
export const CONFIG_DEBOUNCE_MS = 200;
/** Lower bound of the quiet period (chokidar's 50 ms change throttle plus scheduling slack). */
export const MIN_CONFIG_DEBOUNCE_MS = 80;

/**
 * Watches `path` and calls `onChange` with each new valid configuration, one call at a time, skipping writes that
 * left the text unchanged. Resolves once the watcher is ready, so a write after that is seen.
 */
export async function watchConfigFile(
  path: string,
  onChange: (config: LoadedOpenClawConfig) => void | Promise<void>,
  deps: ConfigWatchDeps,
): Promise<ConfigWatchHandle> {
  const log = deps.logger.child({ component: "config.watch" });
  const clock = deps.clock ?? systemClock;
  const debounceMs = Math.max(MIN_CONFIG_DEBOUNCE_MS, deps.debounceMs ?? CONFIG_DEBOUNCE_MS);
  let lastText = await readFileIfExists(path).catch(() => undefined);
  let pending: AbortController | undefined;
  let chain = Promise.resolve();
  let closed = false;

  const report = (err: unknown): void => {
    const error = isClawTellError(err)
      ? err
      : new ClawTellError("CT_CONFIG_INVALID", `${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    log.error({ err: error, path }, "configuration change ignored; the previous settings stay in force");
    deps.onError?.(error);
  };

  /** (1) read, (2) skip unchanged text, (3) validate, (4) hand on; errors are reported, never thrown. */
  const reload = async (): Promise<void> => {
    if (closed) return;
    try {
      const text = await readFileIfExists(path);
      if (text === undefined) throw new ClawTellError("CT_CONFIG_INVALID", `${path}: file removed`, { field: path });
      if (text === lastText) return;
      const config = parseOpenClawConfig(text, path);
      lastText = text;
      await onChange(config);
    } catch (err) {
      report(err);
    }
  };

  const schedule = (): void => {
    pending?.abort();
    const controller = new AbortController();
    pending = controller;
    clock.sleep(debounceMs, controller.signal).then(
      () => {
        if (pending === controller) pending = undefined;
        chain = chain.then(reload);
      },
      () => undefined, // superseded by a newer event or closed
    );
  };

  const watcher: FSWatcher = watch(path, { ignoreInitial: true, persistent: true });
  watcher.on("add", schedule);
  watcher.on("change", schedule);
  watcher.on("unlink", schedule);
  watcher.on("error", (err) => report(err));
  await new Promise<void>((resolve) => watcher.once("ready", resolve));

  return {
    async close() {
      closed = true;
      pending?.abort();
      await watcher.close();
      await chain;
    },
  };
}
