/**
 * The legacy `sessions.json` of OpenClaw (`<state dir>/agents/<agentId>/sessions/sessions.json`, a map of session key →
 * entry), for standalone mode: read on first use, cached per agent and refreshed by a chokidar watcher. A broken or
 * half-written file keeps the last good answer; a missing file means no chat (checked again on the next lookup).
 */

import { join } from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { readFileIfExists, type Logger } from "../infra/index.js";
import type { ActiveChatResolver, ChatTarget } from "./chat-target.js";
import { pickActiveChat, type SessionEntryLike } from "./session-entries.js";

/** An {@link ActiveChatResolver} that owns file watchers; `close()` releases them. */
export interface SessionsFileSource extends ActiveChatResolver {
  close(): Promise<void>;
}

export interface SessionsFileSourceOptions {
  /** How long a file must stay unchanged before it is read after a change. @defaultValue 50 */
  readonly writeSettleMs?: number;
  /** Which channels count (those a sender exists for); default every channel. */
  readonly accepts?: (channel: string) => boolean;
}

interface AgentState {
  target: ChatTarget | undefined;
  watcher: FSWatcher | undefined;
  loading: Promise<void> | undefined;
}

/** Path of an agent's legacy session index under an OpenClaw state directory. */
export const sessionsFilePath = (stateDir: string, agentId: string): string => join(stateDir, "agents", agentId, "sessions", "sessions.json");

/** Parses the file's text; `undefined` when it is not a JSON object (corrupt or cut short). */
function parseSessions(text: string): SessionEntryLike[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  return Object.values(parsed).filter((row): row is SessionEntryLike => typeof row === "object" && row !== null);
}

/** Agent ids become path segments: anything that could leave the state dir is never looked up. */
const isSafeAgentId = (agentId: string): boolean => /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(agentId) && !agentId.includes("..");

/**
 * The active chat from `<stateDir>/agents/<agentId>/sessions/sessions.json`. `stateDir` is OpenClaw's state
 * directory (`OPENCLAW_STATE_DIR`, default `~/.openclaw`). Call `close()` to stop watching.
 */
export function createSessionsFileSource(stateDir: string, logger: Logger, options: SessionsFileSourceOptions = {}): SessionsFileSource {
  const log = logger.child({ component: "chat.sessions-file" });
  const agents = new Map<string, AgentState>();
  let closed = false;

  const load = async (agentId: string, state: AgentState): Promise<void> => {
    const path = sessionsFilePath(stateDir, agentId);
    let text: string | undefined;
    try {
      text = await readFileIfExists(path);
    } catch (err) {
      log.warn({ err, agentId }, "sessions.json unreadable; keeping the last known chat");
      return;
    }
    if (text === undefined) {
      state.target = undefined;
      return;
    }
    const entries = parseSessions(text);
    if (entries === undefined) {
      log.warn({ agentId, bytes: text.length }, "sessions.json is not valid JSON; keeping the last known chat");
    } else {
      state.target = pickActiveChat(entries, options.accepts);
    }
    // Watch once the file exists (chokidar cannot follow a file whose directory does not exist yet).
    if (state.watcher === undefined && !closed) {
      const settleMs = options.writeSettleMs ?? 50;
      const watcher = watch(path, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: settleMs, pollInterval: Math.max(10, settleMs / 2) } });
      watcher.on("all", (event) => {
        if (event === "unlink") state.target = undefined;
        else void refresh(agentId, state);
      });
      // A change between the first read and the watcher being ready would be missed: read once more then.
      watcher.once("ready", () => {
        log.debug({ agentId }, "watching sessions.json");
        void refresh(agentId, state);
      });
      watcher.on("error", (err) => log.warn({ err, agentId }, "sessions.json watcher failed"));
      state.watcher = watcher;
    }
  };

  const refresh = (agentId: string, state: AgentState): Promise<void> => {
    const loading = (state.loading ?? Promise.resolve())
      .then(() => load(agentId, state))
      .catch((err: unknown) => log.warn({ err, agentId }, "sessions.json refresh failed"));
    state.loading = loading;
    return loading;
  };

  return {
    async resolve(agentId) {
      if (!isSafeAgentId(agentId)) {
        log.warn({ agentId }, "agent id is not a plain name; no sessions.json lookup");
        return undefined;
      }
      let state = agents.get(agentId);
      if (state === undefined) {
        state = { target: undefined, watcher: undefined, loading: undefined };
        agents.set(agentId, state);
        await refresh(agentId, state);
      } else if (state.watcher === undefined) {
        await refresh(agentId, state); // not there last time: look again
      } else {
        await state.loading;
      }
      return state.target;
    },
    async close() {
      closed = true;
      await Promise.all([...agents.values()].map((s) => s.watcher?.close()));
    },
  };
}
