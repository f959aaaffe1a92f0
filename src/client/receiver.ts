/**
 * The one receive loop of an account: SSE with `Last-Event-ID` resume; after repeated stream failures, long polling
 * for a while, then the stream again. It never acks: it hands each batch to `onMessages` and waits for it (the daemon
 * stores, then acks), and pulls nothing more while that runs or while paused. Rejected keys stop the hammering.
 */

import { ClawTellError, describeError, isClawTellError, type Clock, type Logger } from "../infra/index.js";
import type { Message } from "../protocol/index.js";
import { reconnectDelayMs } from "./backoff.js";
import type { ClawTellClient } from "./clawtell-client.js";
import { STREAM_INACTIVITY_DEFAULT_MS } from "./sse-stream.js";

/** How messages are being received: the configured transport, the fallback, a key problem, or not at all. */
export type ReceiverTransport = "sse" | "longpoll" | "fallback-longpoll" | "config_error" | "stopped";

/** A snapshot for status pages and probes. */
export interface ReceiverState {
  readonly transport: ReceiverTransport;
  /** A stream is open or the last poll answered. */
  readonly connected: boolean;
  /** Pulling is held by `pause()` or `isPaused`. */
  readonly paused: boolean;
  /** Stream or poll failures since the last success (reset when falling back). */
  readonly consecutiveFailures: number;
  readonly lastError?: { readonly code: string; readonly message: string };
  /** Clock time (ms) the last batch was taken by `onMessages`. */
  readonly lastMessageAt?: number;
}

/** The account to receive for, the daemon callback, and tuning (tests shorten the times). */
export interface ReceiverOptions {
  readonly client: ClawTellClient;
  /** Receive every name of the account (`?account=true`, `poll-account`) rather than the key's name. @defaultValue false */
  readonly account?: boolean;
  readonly transport: "sse" | "longpoll";
  /** Awaited before anything more is pulled. Throwing means "not taken": the messages stay on the server. */
  readonly onMessages: (messages: Message[]) => Promise<void>;
  /** While true, nothing is pulled (e.g. the local queue is full); checked every `pauseCheckMs`. */
  readonly isPaused?: () => boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Source of jitter in [0, 1). @defaultValue Math.random */
  readonly random?: () => number;
  /** Stops the receiver when aborted (as `stop()` does). */
  readonly signal?: AbortSignal;
  /**
   * The id of the last message already taken durably (by an earlier run): the first stream resumes after it
   * (`Last-Event-ID`), so the server hands on at once, and in order, what it had sent to a process that died.
   */
  readonly resumeAfter?: string;
  /** Seconds the server keeps one stream open. @defaultValue 120 */
  readonly streamTimeoutS?: number;
  /** Most messages per stream connection or poll. @defaultValue 50 */
  readonly batchLimit?: number;
  /** Seconds one long poll may be held. @defaultValue 30 */
  readonly pollTimeoutS?: number;
  /** Stream failures in a row before falling back to long polling. @defaultValue 3 */
  readonly fallbackAfterFailures?: number;
  /** How long to long-poll before trying the stream again. @defaultValue 60000 */
  readonly fallbackDurationMs?: number;
  /** Silence after which a stream is dropped. @defaultValue 150000 */
  readonly inactivityMs?: number;
  /** Wait after a rejected key (401/403) before trying again. @defaultValue 300000 */
  readonly authRetryMs?: number;
  /** Cap of the reconnect backoff `2 s · failures` (±20 %). @defaultValue 30000 */
  readonly maxBackoffMs?: number;
  /** How often `isPaused` is asked while paused. @defaultValue 200 */
  readonly pauseCheckMs?: number;
}

/** Controls a running receiver. */
export interface ReceiverHandle {
  state(): ReceiverState;
  /** Stops pulling after the current batch (an open stream is held, not read). */
  pause(): void;
  resume(): void;
  /** Stops the loop (aborting an open stream or poll) and resolves when it has ended. */
  stop(): Promise<void>;
}

type Outcome = { readonly kind: "ended"; readonly clean: boolean } | { readonly kind: "refused"; readonly error: unknown };

const isKeyRejected = (err: unknown): boolean => isClawTellError(err) && (err.code === "CT_AUTH_FAILED" || err.code === "CT_FORBIDDEN");

/**
 * Starts the receive loop of one account. Stream reconnects wait `min(2 s · failures, maxBackoffMs)` ±20 % (none after
 * a clean `timeout` end); `fallbackAfterFailures` stream failures in a row switch to long polling for
 * `fallbackDurationMs`; 429 waits `Retry-After`; 401/403 report `config_error` and wait `authRetryMs`.
 */
export function startReceiver(options: ReceiverOptions): ReceiverHandle {
  const { client, clock } = options;
  const logger = options.logger.child({ component: "client.receiver" });
  const random = options.random ?? Math.random;
  const account = options.account ?? false;
  const controller = new AbortController();
  const signal = controller.signal;
  const stopFromOutside = (): void => controller.abort(new ClawTellError("CT_ABORTED", "receiver stopped"));
  if (options.signal?.aborted === true) stopFromOutside();
  options.signal?.addEventListener("abort", stopFromOutside, { once: true });

  let state: ReceiverState = { transport: options.transport, connected: false, paused: false, consecutiveFailures: 0 };
  let lastEventId: string | undefined = options.resumeAfter;
  let fallbackUntil = Number.NEGATIVE_INFINITY;
  let keyRejected = false;
  let refusals = 0;
  let manuallyPaused = false;
  let wake: (() => void) | undefined;

  const set = (patch: Partial<ReceiverState>): void => {
    state = { ...state, ...patch };
  };
  /** Abortable by stop(); a pause wait (`wakeable`) also ends early on resume(). */
  const sleep = async (ms: number, wakeable = false): Promise<void> => {
    const woken = new AbortController();
    if (wakeable) wake = () => woken.abort();
    try {
      await clock.sleep(ms, wakeable ? AbortSignal.any([signal, woken.signal]) : signal);
    } catch {
      // stopped, or woken by resume()
    } finally {
      if (wakeable) wake = undefined;
    }
  };
  const isPaused = (): boolean => manuallyPaused || options.isPaused?.() === true;
  const waitWhilePaused = async (): Promise<void> => {
    while (!signal.aborted && isPaused()) {
      if (!state.paused) set({ paused: true });
      await sleep(options.pauseCheckMs ?? 200, true);
    }
    if (state.paused) set({ paused: false });
  };
  const label = (streaming: boolean): ReceiverTransport =>
    keyRejected ? "config_error" : streaming ? "sse" : options.transport === "sse" ? "fallback-longpoll" : "longpoll";
  /** An answer came. Failures are forgiven by a poll, a message or a clean stream end, not by a mere connect. */
  const answered = (streaming: boolean, forgiveFailures: boolean): void => {
    keyRejected = false;
    set({ transport: label(streaming), connected: true, ...(forgiveFailures ? { consecutiveFailures: 0 } : {}) });
  };

  /** Hands on what this connection has not handed on yet; returns the error when `onMessages` refused them. */
  const handOn = async (messages: readonly Message[], seen: Set<string>): Promise<unknown> => {
    const fresh = [...new Map(messages.filter((m) => !seen.has(m.id)).map((m) => [m.id, m])).values()];
    if (fresh.length === 0) return undefined;
    // Paused after the pull: the batch waits here (the stream unread, the poll not repeated) until resumed.
    await waitWhilePaused();
    if (signal.aborted) return undefined;
    try {
      await options.onMessages(fresh);
    } catch (err) {
      return err;
    }
    for (const m of fresh) seen.add(m.id);
    lastEventId = fresh.at(-1)?.id ?? lastEventId;
    refusals = 0;
    set({ lastMessageAt: clock.now(), consecutiveFailures: 0 });
    return undefined;
  };

  const streamOnce = async (): Promise<Outcome> => {
    const seen = new Set<string>();
    let clean = false;
    for await (const batch of client.openStreamBatches({
      account,
      timeoutS: options.streamTimeoutS ?? 120,
      limit: options.batchLimit ?? 50,
      inactivityMs: options.inactivityMs ?? STREAM_INACTIVITY_DEFAULT_MS,
      signal,
      ...(lastEventId === undefined ? {} : { lastEventId }),
    })) {
      if (!state.connected || keyRejected) answered(true, false);
      for (const event of batch) if (event.type === "connected") logger.debug({ resumeAfter: event.info.lastEventId }, "stream connected");
      const messages: Message[] = [];
      for (const event of batch) {
        if (event.type === "message") messages.push(event.message);
        else if (event.type === "timeout") clean = true;
      }
      // Leaving the loop closes the connection; reconnecting with Last-Event-ID brings the refused messages back.
      const refused = await handOn(messages, seen);
      if (refused !== undefined) return { kind: "refused", error: refused };
      // Back-pressure: the stream is held (not read) until the daemon wants more.
      await waitWhilePaused();
      if (signal.aborted) return { kind: "ended", clean: false };
    }
    return { kind: "ended", clean };
  };

  const pollOnce = async (): Promise<Outcome> => {
    const remainingS = Math.ceil((fallbackUntil - clock.now()) / 1000);
    const pollTimeoutS = options.pollTimeoutS ?? 30;
    // A fallback poll does not hold past the time the stream is due again.
    const timeoutS = remainingS > 0 ? Math.max(1, Math.min(pollTimeoutS, remainingS)) : pollTimeoutS;
    const poll = { timeoutS, limit: options.batchLimit ?? 50, signal };
    const messages = account ? await client.pollAccount(poll) : await client.poll(poll);
    answered(false, true);
    const refused = await handOn(messages, new Set());
    return refused === undefined ? { kind: "ended", clean: true } : { kind: "refused", error: refused };
  };

  const onFailure = async (err: unknown, streaming: boolean): Promise<void> => {
    const failures = state.consecutiveFailures + 1;
    set({ connected: false, consecutiveFailures: failures, lastError: describeError(err) });
    const retryAfterMs = isClawTellError(err) ? err.retryAfterMs : undefined;
    const backoff = (): number => reconnectDelayMs(failures, { capMs: options.maxBackoffMs ?? 30_000, random });
    if (isKeyRejected(err)) {
      // A wrong key will not fix itself: say so and try again rarely.
      keyRejected = true;
      set({ transport: "config_error" });
      logger.error({ err }, "ClawTell rejected the account key; check channels.clawtell apiKey");
      await sleep(options.authRetryMs ?? 300_000);
      return;
    }
    logger.warn({ err, failures }, streaming ? "stream failed" : "poll failed");
    // Rate limiting is not a broken stream: polling instead would hit the same limit.
    const rateLimited = isClawTellError(err) && err.code === "CT_RATE_LIMITED";
    if (streaming && !rateLimited && failures >= (options.fallbackAfterFailures ?? 3)) {
      fallbackUntil = clock.now() + (options.fallbackDurationMs ?? 60_000);
      set({ transport: label(false), consecutiveFailures: 0 });
      logger.warn({ fallbackMs: options.fallbackDurationMs ?? 60_000 }, "falling back to long polling");
      return;
    }
    await sleep(retryAfterMs ?? backoff());
  };

  const onRefused = async (err: unknown): Promise<void> => {
    refusals += 1;
    set({ lastError: describeError(err) });
    logger.warn({ err, refusals }, "messages not taken; they stay on the server");
    await sleep(reconnectDelayMs(refusals, { capMs: options.maxBackoffMs ?? 30_000, random }));
  };

  const loop = async (): Promise<void> => {
    while (!signal.aborted) {
      await waitWhilePaused();
      if (signal.aborted) break;
      const streaming = options.transport === "sse" && clock.now() >= fallbackUntil;
      if (state.transport !== label(streaming)) {
        if (streaming && state.transport === "fallback-longpoll") logger.info("trying the stream again");
        set({ transport: label(streaming) });
      }
      let outcome: Outcome;
      try {
        outcome = streaming ? await streamOnce() : await pollOnce();
      } catch (err) {
        if (signal.aborted) break;
        await onFailure(err, streaming);
        continue;
      }
      if (signal.aborted) break;
      if (outcome.kind === "refused") await onRefused(outcome.error);
      else if (streaming && outcome.clean) set({ consecutiveFailures: 0 });
      // A stream that ends without the server's `timeout` event was dropped: reconnect with backoff.
      else if (streaming && !outcome.clean) await onFailure(new ClawTellError("CT_API_UNREACHABLE", "stream ended without a timeout event"), true);
    }
    set({ transport: "stopped", connected: false, paused: false });
  };

  const running = loop().catch((err: unknown) => {
    logger.fatal({ err }, "receiver loop crashed");
    set({ transport: "stopped", connected: false, lastError: describeError(err) });
  });

  return {
    state: () => state,
    pause: () => {
      manuallyPaused = true;
    },
    resume: () => {
      manuallyPaused = false;
      wake?.();
    },
    async stop() {
      stopFromOutside();
      await running;
      options.signal?.removeEventListener("abort", stopFromOutside);
    },
  };
}
