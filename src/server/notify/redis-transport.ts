/**
 * Redis pub/sub for the remote notifier: one subscriber connection per process on one channel, one connection to
 * publish on. ioredis reconnects both; the channel is subscribed again on every `ready`, and only a confirmed
 * SUBSCRIBE counts as "up". The publisher keeps no offline queue: while Redis is down a publish fails at once
 * instead of piling up.
 *
 * ioredis is loaded when the first transport is made, not with the server: it held 4–8 MB of every process, also of
 * those that never speak to Redis.
 */

import type { Redis } from "ioredis";
import type { NotifyTransport, TransportEvents } from "./remote.js";

export interface RedisTransportOptions {
  readonly redisUrl: string;
  readonly channel: string;
  /** Longest pause between two reconnect attempts. @defaultValue 1000 */
  readonly reconnectCapMs?: number;
}

export function createRedisTransport(options: RedisTransportOptions): NotifyTransport {
  const { redisUrl, channel } = options;
  const capMs = options.reconnectCapMs ?? 1000;
  const retryStrategy = (times: number): number => Math.min(capMs, 50 * times);
  const clients = import("./redis-client.js").then(({ Redis }) => ({
    subscriber: new Redis(redisUrl, {
      lazyConnect: true,
      autoResubscribe: false,
      maxRetriesPerRequest: null,
      connectionName: "clawtell-notify-sub",
      retryStrategy,
    }),
    publisher: new Redis(redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectionName: "clawtell-notify-pub",
      retryStrategy,
    }),
  }));
  let closing = false;

  return {
    kind: "redis",
    start(events: TransportEvents) {
      void clients.then(({ subscriber, publisher }) => {
        // Closed before the library was loaded: nothing to connect.
        if (!closing) connect(subscriber, publisher, events);
      });
    },
    async publish(payload) {
      const { publisher } = await clients;
      await publisher.publish(channel, payload);
    },
    async close() {
      closing = true;
      const { subscriber, publisher } = await clients;
      subscriber.disconnect();
      publisher.disconnect();
    },
  };

  /** Listens and connects: the channel is subscribed again on every `ready`. */
  function connect(subscriber: Redis, publisher: Redis, events: TransportEvents): void {
    let up = false;
    const lost = (error?: unknown): void => {
      if (closing) return;
      up = false;
      events.down(error);
    };
    subscriber.on("message", (from: string, payload: string) => {
      if (from === channel) events.message(payload);
    });
    subscriber.on("ready", () => {
      subscriber.subscribe(channel).then(
        () => {
          if (closing) return;
          up = true;
          events.up();
        },
        (err: unknown) => lost(err),
      );
    });
    subscriber.on("close", () => {
      if (up) lost(new Error("connection to Redis closed"));
    });
    // Every failed reconnect emits an error; the notifier logs the outage once.
    subscriber.on("error", (err: unknown) => {
      if (up) lost(err);
      else if (!closing) events.down(err);
    });
    publisher.on("error", () => {});
    subscriber.connect().catch(() => {});
    publisher.connect().catch(() => {});
  }
}
