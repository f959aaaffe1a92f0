/**
 * A notifier shared by several server processes over a publish/subscribe transport (Redis or PostgreSQL).
 *
 * Channel layout: one channel for the whole deployment, each message carrying the name ids notified (coalesced per
 * event-loop turn), rather than a channel per name. Every process then receives every wake-up and looks the ids up
 * in its own table, which costs one message per send per process; in exchange a wait never subscribes or
 * unsubscribes (no command, no round trip, no subscription race on the wait path), the subscriber holds one channel
 * however many names wait, and PostgreSQL — which hands every notification to every listening connection anyway and
 * checks channel names one by one — is not asked to LISTEN on 100 000 channels.
 *
 * A process wakes its own waiters directly and ignores the echo of its own messages. While the subscription is down
 * (or not yet set up) every waiter looks again every `fallbackPollMs`; when it is back, every waiter looks once.
 */

import { randomBytes } from "node:crypto";
import type { Clock, Logger } from "../../infra/index.js";
import type { Notifier } from "./port.js";
import { createWaiterRegistry } from "./waiters.js";

/** What a transport reports to the notifier. */
export interface TransportEvents {
  /** The subscription is in place (first time, or again after a loss). */
  up(): void;
  /** The subscription is lost; `error` says why when known. */
  down(error?: unknown): void;
  message(payload: string): void;
}

export interface NotifyTransport {
  /** Name for logs: "redis" or "postgres". */
  readonly kind: string;
  /** Connects and subscribes, reconnecting on loss until `close`. */
  start(events: TransportEvents): void;
  /** Publishes one payload; rejects when it cannot. */
  publish(payload: string): Promise<void>;
  close(): Promise<void>;
}

export interface RemoteNotifierOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  /** How often waiters look again while the subscription is down. @defaultValue 1000 */
  readonly fallbackPollMs?: number;
}

/** Payload body meaning "every name" (after this process could not publish for a while). */
const EVERY_NAME = "*";
/** Largest payload published (PostgreSQL refuses NOTIFY payloads of 8000 bytes or more). */
const MAX_PAYLOAD_CHARS = 7000;

export function createRemoteNotifier(transport: NotifyTransport, options: RemoteNotifierOptions): Notifier {
  const { logger, clock } = options;
  const fallbackPollMs = options.fallbackPollMs ?? 1000;
  const registry = createWaiterRegistry(clock);
  // Distinguishes this process's messages from the others' on the shared channel.
  const origin = randomBytes(6).toString("base64url");
  const log = logger.child({ notifier: transport.kind });

  let subscribed = false;
  let publishFailing = false;
  let subscriptionLossLogged = false;
  let closed = false;
  let pending = new Set<number>();
  let flushScheduled = false;
  let fallback: AbortController | undefined;

  /** Runs `action` every fallbackPollMs until the answered controller aborts. */
  const everyFallbackPoll = (action: () => void | Promise<void>): AbortController => {
    const controller = new AbortController();
    void (async () => {
      while (!controller.signal.aborted) {
        try {
          await clock.sleep(fallbackPollMs, controller.signal);
        } catch {
          return;
        }
        await action();
      }
    })();
    return controller;
  };
  const startFallbackPolling = (): void => {
    if (fallback !== undefined || closed) return;
    fallback = everyFallbackPoll(() => registry.wakeAll());
  };
  const stopFallbackPolling = (): void => {
    fallback?.abort();
    fallback = undefined;
  };
  // Only a lost subscription makes this process's waiters poll; a failing publish hurts the other processes, whose
  // subscriptions (to the same Redis or database) are normally lost too. healthy() reports both.
  const updatePolling = (): void => {
    if (!closed && !subscribed) startFallbackPolling();
    else stopFallbackPolling();
  };

  // While publishing fails, this process's sends reach no other process, and their waiters may sit on healthy
  // subscriptions. So a failed publish starts a repair loop: every fallbackPollMs (and at once when the subscription
  // comes back) it publishes "every name"; the first that goes through makes every waiter everywhere look once.
  let repair: AbortController | undefined;
  const startRepair = (): void => {
    if (repair !== undefined || closed) return;
    repair = everyFallbackPoll(tryRepair);
  };
  const tryRepair = async (): Promise<void> => {
    if (!publishFailing || closed) return;
    try {
      await transport.publish(`${origin} ${EVERY_NAME}`);
    } catch {
      return;
    }
    if (!publishFailing) return;
    publishFailing = false;
    repair?.abort();
    repair = undefined;
    log.info("notifier: publishing works again; every waiter in every process looks once");
  };

  const publish = (payload: string): void => {
    transport.publish(payload).catch((err: unknown) => {
      if (publishFailing || closed) return;
      publishFailing = true;
      log.warn({ err: describe(err) }, "notifier: publishing fails; other processes are told to look again once it works");
      startRepair();
    });
  };

  const flush = (): void => {
    flushScheduled = false;
    const ids = [...pending];
    pending = new Set();
    let chunk = origin;
    for (const id of ids) {
      const part = `${chunk === origin ? " " : ","}${id}`;
      if (chunk.length + part.length > MAX_PAYLOAD_CHARS) {
        publish(chunk);
        chunk = `${origin} ${id}`;
      } else chunk += part;
    }
    if (chunk !== origin) publish(chunk);
  };

  transport.start({
    up() {
      if (closed) return;
      const wasDown = !subscribed;
      subscribed = true;
      void tryRepair();
      if (subscriptionLossLogged) log.info("notifier: subscription back; every waiter looks once");
      subscriptionLossLogged = false;
      updatePolling();
      // Notifications sent while it was down were not received: everyone looks once.
      if (wasDown) registry.wakeAll();
    },
    down(error) {
      if (closed) return;
      subscribed = false;
      // Notifications may be missed from now on: nothing stays known empty, not even what a query under way finds.
      registry.forgetEmpty();
      if (!subscriptionLossLogged) {
        subscriptionLossLogged = true;
        log.warn({ err: describe(error) }, "notifier: subscription lost; waiters look for new messages every fallbackPollMs until it is back");
      }
      updatePolling();
    },
    message(payload) {
      const space = payload.indexOf(" ");
      if (space < 0 || payload.slice(0, space) === origin) return;
      if (payload.slice(space + 1) === EVERY_NAME) {
        registry.wakeAll();
        return;
      }
      const ids: number[] = [];
      for (const part of payload.slice(space + 1).split(",")) {
        const id = Number(part);
        if (Number.isSafeInteger(id)) ids.push(id);
      }
      registry.wake(ids);
    },
  });
  // Until the first subscription is confirmed, waiters poll like during an outage.
  updatePolling();

  return {
    generation: registry.generation,
    wait: registry.wait,
    // Only while subscribed: then every send in any process reaches this one, and forgets the name.
    rememberEmpty(nameIds, since) {
      if (subscribed && !closed) registry.rememberEmpty(nameIds, since);
    },
    knownEmpty: (nameIds) => subscribed && !closed && registry.knownEmpty(nameIds),
    notify(nameId) {
      registry.wake([nameId]);
      if (closed) return;
      pending.add(nameId);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    },
    waiting: registry.waiting,
    healthy: () => subscribed && !publishFailing && !closed,
    async close() {
      if (closed) return;
      if (flushScheduled) flush();
      closed = true;
      stopFallbackPolling();
      repair?.abort();
      repair = undefined;
      await transport.close();
    },
  };
}

/** An error's message for a log line, never its connection string. */
function describe(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  return error instanceof Error ? error.message : String(error);
}
