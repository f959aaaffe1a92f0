/**
 * The one receive loop of an account: SSE with `Last-Event-ID` resume; after repeated stream failures, long polling
 * for a while, then the stream again. It never acks: it hands each batch to `onMessages` and waits for it (the daemon
 * stores, then acks), so nothing more is pulled while the daemon is busy or paused. Bad keys stop the hammering.
 */

import { ClawTellError, isClawTellError, type Clock, type Logger } from "../infra/index.js";
import type { Message } from "../protocol/index.js";
import type { ClawTellClient } from "./clawtell-client.js";
import { openStream } from "./sse-stream.js";
import type { Dispatcher } from "undici";

export type ReceiverMode = "sse" | "longpoll" | "fallback-longpoll" | "config_error" | "stopped";

export interface ReceiverState {
  readonly mode: ReceiverMode;
  readonly connected: boolean;
  readonly consecutiveFailures: number;
  readonly lastError?: { readonly code: string; readonly message: string };
  readonly lastMessageAt?: number;
}

export interface ReceiverOptions {
  readonly client: ClawTellClient;
  /** Receive every name of the account (`poll-account`, `?account=true`). */
  readonly accountLevel: boolean;
  readonly transport: "sse" | "longpoll";
  /** Awaited before anything more is pulled. Throwing means "not taken": the messages stay on the server. */
  readonly onMessages: (messages: Message[]) => Promise<void>;
  /** While true, nothing is pulled (e.g. the local queue is full). */
  readonly isPaused?: () => boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly dispatcher?: Dispatcher;
  readonly random?: () => number;
  /** @defaultValue 120 */
  readonly streamTimeoutS?: number;
  /** @defaultValue 50 */
  readonly batchLimit?: number;
  /** @defaultValue 30 */
  readonly pollTimeoutS?: number;
  /** Stream failures in a row before falling back to long polling. @defaultValue 3 */
  readonly fallbackAfterFailures?: number;
  /** How long to long-poll before trying the stream again. @defaultValue 60000 */
  readonly fallbackDurationMs?: number;
  /** @defaultValue 150000 */
  readonly inactivityMs?: number;
  /** Wait after a rejected key before trying again. @defaultValue 300000 */
  readonly authRetryMs?: number;
  /** Cap of the reconnect backoff. @defaultValue 30000 */
  readonly maxBackoffMs?: number;
}

export interface ReceiverHandle {
  state(): ReceiverState;
  stop(): Promise<void>;
}

export function startReceiver(options: ReceiverOptions): ReceiverHandle {
  const { client, clock, logger } = options;
  const random = options.random ?? Math.random;
  const controller = new AbortController();
  const signal = controller.signal;
  let state: ReceiverState = { mode: options.transport, connected: false, consecutiveFailures: 0 };
  let lastEventId: string | undefined;
  let fallbackUntil = 0;

  const set = (patch: Partial<ReceiverState>): void => {
    state = { ...state, ...patch };
  };
  const sleep = async (ms: number): Promise<void> => {
    try {
      await clock.sleep(ms, signal);
    } catch {
      // stopped
    }
  };
  const backoffMs = (failures: number): number =>
    Math.min(options.maxBackoffMs ?? 30_000, 2000 * failures) * (0.8 + 0.4 * random());

  const deliver = async (messages: Message[]): Promise<void> => {
    if (messages.length === 0) return;
    await options.onMessages(messages);
    set({ lastMessageAt: clock.now() });
  };

  const streamOnce = async (): Promise<void> => {
    const seen = new Set<string>();
    for await (const batch of openStream({
      sseUrl: client.sseUrl,
      apiKey: client.apiKey,
      account: options.accountLevel,
      timeoutS: options.streamTimeoutS ?? 120,
      limit: options.batchLimit ?? 50,
      ...(lastEventId === undefined ? {} : { lastEventId }),
      inactivityMs: options.inactivityMs ?? 150_000,
      signal,
      clock,
      logger,
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
    })) {
      set({ mode: "sse", connected: true, consecutiveFailures: 0 });
      const fresh: Message[] = [];
      for (const event of batch) {
        if (event.type !== "message" || seen.has(event.message.id)) continue;
        seen.add(event.message.id);
        fresh.push(event.message);
      }
      await deliver(fresh);
      const last = fresh.at(-1);
      if (last !== undefined) lastEventId = last.id;
    }
  };

  const pollOnce = async (): Promise<void> => {
    const poll = { timeoutS: options.pollTimeoutS ?? 30, limit: options.batchLimit ?? 50, signal };
    const messages = options.accountLevel ? await client.pollAccount(poll) : await client.poll(poll);
    set({ connected: true, consecutiveFailures: 0 });
    await deliver(messages);
  };

  const onFailure = async (err: unknown, streaming: boolean): Promise<void> => {
    const failures = state.consecutiveFailures + 1;
    const error = isClawTellError(err) ? { code: err.code, message: err.message } : { code: "CT_INTERNAL", message: String(err) };
    set({ connected: false, consecutiveFailures: failures, lastError: error });
    if (isClawTellError(err) && (err.code === "CT_AUTH_FAILED" || err.code === "CT_FORBIDDEN")) {
      // A wrong key will not fix itself: say so and try again rarely.
      set({ mode: "config_error" });
      logger.error({ err }, "ClawTell rejected the account key; check channels.clawtell apiKey");
      await sleep(options.authRetryMs ?? 300_000);
      return;
    }
    logger.warn({ err, failures }, streaming ? "stream failed" : "poll failed");
    if (streaming && failures >= (options.fallbackAfterFailures ?? 3)) {
      fallbackUntil = clock.now() + (options.fallbackDurationMs ?? 60_000);
      set({ mode: "fallback-longpoll", consecutiveFailures: 0 });
      logger.warn({ untilMs: fallbackUntil }, "falling back to long polling");
      return;
    }
    const retryAfter = isClawTellError(err) ? err.retryAfterMs : undefined;
    await sleep(retryAfter ?? backoffMs(failures));
  };

  const loop = async (): Promise<void> => {
    while (!signal.aborted) {
      if (options.isPaused?.() === true) {
        await sleep(200);
        continue;
      }
      const streaming = options.transport === "sse" && clock.now() >= fallbackUntil;
      if (streaming && state.mode !== "sse") set({ mode: "sse" });
      if (!streaming && options.transport === "longpoll") set({ mode: "longpoll" });
      try {
        if (streaming) await streamOnce();
        else await pollOnce();
      } catch (err) {
        if (signal.aborted) break;
        await onFailure(err, streaming);
      }
    }
    set({ mode: "stopped", connected: false });
  };

  const running = loop().catch((err: unknown) => {
    logger.fatal({ err }, "receiver loop crashed");
    set({ mode: "stopped", connected: false, lastError: { code: "CT_INTERNAL", message: String(err) } });
  });

  return {
    state: () => state,
    async stop() {
      controller.abort(new ClawTellError("CT_ABORTED", "receiver stopped"));
      await running;
    },
  };
}
