/**
 * `GET /v1/stream`: Server-Sent Events for one name or (`?account=true`) the whole account. Events `connected`,
 * `message` (one-line JSON), `timeout` (then the stream ends); `: keepalive` comments in between.
 * `Last-Event-ID` (a message id) resumes: everything unacked after that message is sent again at once. Messages leased
 * to connections of the account that have closed are sent again at once too (see leases.ts).
 */

import { z } from "zod";
import { StreamQuerySchema } from "../../protocol/index.js";
import type { ServerContext } from "../context.js";
import { callerOf } from "../contexts/caller.js";
import type { ZodApp } from "../contexts/schemas.js";
import { toWireMessage } from "../mailbox.js";
import { connectionGone } from "./connection-gone.js";
import { formatEvent, openEventStream } from "./event-stream.js";

const STREAM_SCHEMA = {
  summary: "Server-Sent Events: messages of the key's name (or account) as they arrive",
  description: "A `Last-Event-ID` header (a message id) resumes: every unacked message after it is sent again at once.",
  querystring: StreamQuerySchema,
  response: {
    200: {
      description: "`connected`, then `message` events (one-line JSON, `id:` the message id), then `timeout`; `: keepalive` comments between",
      content: { "text/event-stream": { schema: z.string().optional() } },
    },
  },
};

export function streamRoutes(app: ZodApp, ctx: ServerContext): void {
  const { accounts, mailbox, messages, clock, keepaliveMs } = ctx;

  app.get("/v1/stream", { schema: STREAM_SCHEMA }, async (request, reply) => {
    // 1. caller and query (errors still answer as JSON), 2. resume point, 3. hijack and stream until timeout/limit/close.
    const caller = callerOf(request);
    const { query } = request;
    // HEAD: the stream's headers at once; nothing is pulled, so nothing is leased.
    if (request.method === "HEAD") return reply.type("text/event-stream; charset=utf-8").header("cache-control", "no-cache, no-transform").send(undefined);
    const recipientIds = query.account ? (await accounts.of(caller)).map((n) => n.id) : [caller.name.id];
    const lastEventIdHeader = request.headers["last-event-id"];
    const lastEventId = typeof lastEventIdHeader === "string" && lastEventIdHeader !== "" ? lastEventIdHeader : null;
    const last = lastEventId === null ? undefined : await messages.find(lastEventId);
    // An unknown Last-Event-ID resumes nothing: the stream then starts like a new one.
    await mailbox.opened(recipientIds, last !== undefined && recipientIds.includes(last.recipientId) ? last.seq : undefined);

    reply.hijack();
    const raw = reply.raw;
    // The stream runs in this frame, its waits on a light signal of the connection: an idle stream holds no
    // AbortController and no frames of whileConnected and of a function of its own (about 1.3 KB of heap for each of
    // thousands of idle streams).
    const closed = connectionGone(raw);
    try {
      const connected = { name: caller.name.name, accountId: caller.accountId, timeout: query.timeout, lastEventId, account: query.account };
      const keepalive = openEventStream(raw, JSON.stringify(connected), clock, keepaliveMs);
      const deadline = clock.now() + query.timeout * 1000;
      let sent = 0;
      try {
        while (!closed.aborted && sent < query.limit) {
          const asked = query.limit - sent;
          const rows = await mailbox.pull(recipientIds, asked, request.raw.socket);
          for (const row of rows) raw.write(formatEvent("message", JSON.stringify(toWireMessage(row)), row.id));
          sent += rows.length;
          const remaining = deadline - clock.now();
          if (remaining <= 0 || sent >= query.limit) break;
          // Fewer than asked: nothing else was claimable, so wait (a send since the pull ends the wait at once) rather
          // than ask again.
          if (rows.length < asked) await mailbox.waitForWork(recipientIds, remaining, closed, request.raw.socket);
        }
        if (!closed.aborted) raw.write(formatEvent("timeout", ""));
      } finally {
        keepalive.stop();
        raw.end();
      }
    } finally {
      closed.release();
    }
  });
}
