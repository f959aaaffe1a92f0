/**
 * What only the dashboard asks (authenticated context, dashboard sessions only; an API key gets 403):
 * - `GET /api/dashboard/events`: a view-only notification stream. It says that something arrived for one of the
 *   account's names and nothing more; the page then reads the inbox (`GET /api/messages/inbox`). Unlike `/v1/stream`
 *   and the polls it hands out no message and takes no lease, so an open dashboard never takes a message from the
 *   name's agent.
 * - `GET /api/dashboard/audit`: the audit log of the account's names, newest first.
 * - `GET /api/dashboard/activity`: per name of the account and per UTC day, messages received and sent, and the dead
 *   ends (sends blocked by a delivery policy, messages expired unacked), counted by the store.
 */

import { z } from "zod";
import {
  AccountAuditResponseSchema,
  ActivityQuerySchema,
  ActivityResponseSchema,
  DASHBOARD_EVENTS_PATH,
  type AuditEntryWire,
  type NameActivity,
} from "../../protocol/index.js";
import { DAY_MS } from "../store/index.js";
import type { ServerContext } from "../context.js";
import { sessionOf } from "../contexts/caller.js";
import type { ZodApp } from "../contexts/schemas.js";
import { whileConnected } from "./messages.js";
import { formatEvent, openEventStream } from "./event-stream.js";

const EventsQuerySchema = z.object({
  /** Seconds until the server ends the stream (an EventSource then reconnects by itself). */
  timeout: z.coerce.number().int().min(1).max(3600).default(300),
});
const AuditQuerySchema = z.object({ limit: z.coerce.number().int().min(1, "must be from 1 to 500").max(500, "must be from 1 to 500").default(100) });

const EVENTS_SCHEMA = {
  summary: "Dashboard sessions: a `changed` event whenever something arrives for one of the account's names (view only: nothing is handed out)",
  querystring: EventsQuerySchema,
  response: {
    200: {
      description: "`connected`, then `changed` events (`{ names }`: the account's names), then `timeout`; `: keepalive` comments between",
      content: { "text/event-stream": { schema: z.string().optional() } },
    },
  },
};

export function dashboardApiRoutes(app: ZodApp, ctx: ServerContext): void {
  const { directory, notifier, clock, keepaliveMs } = ctx;

  app.get(DASHBOARD_EVENTS_PATH, { schema: EVENTS_SCHEMA }, async (request, reply) => {
    const session = sessionOf(request);
    const names = await directory.listNamesOfAccount(session.accountId);
    const ids = names.map((n) => n.id);
    const data = JSON.stringify({ names: names.map((n) => n.name) });
    reply.hijack();
    const raw = reply.raw;
    await whileConnected(reply, async (closed) => {
      const keepalive = openEventStream(raw, data, clock, keepaliveMs);
      const deadline = clock.now() + request.query.timeout * 1000;
      try {
        let since = notifier.generation();
        while (!closed.aborted) {
          const remaining = deadline - clock.now();
          if (remaining <= 0) break;
          const woken = await notifier.wait(ids, remaining, closed, since);
          since = notifier.generation();
          if (woken && !closed.aborted) raw.write(formatEvent("changed", data));
        }
        if (!closed.aborted) raw.write(formatEvent("timeout", ""));
      } finally {
        keepalive.stop();
        raw.end();
      }
    });
  });

  app.get(
    "/api/dashboard/audit",
    { schema: { summary: "Dashboard sessions: the audit log of the account's names, newest first", querystring: AuditQuerySchema, response: { 200: AccountAuditResponseSchema } } },
    async (request, reply) => {
      const session = sessionOf(request);
      const { limit } = request.query;
      const names = await directory.listNamesOfAccount(session.accountId);
      const lists = await Promise.all(names.map((n) => directory.listAudit({ name: n.name, limit })));
      const entries: AuditEntryWire[] = lists
        .flat()
        .sort((a, b) => b.at - a.at || b.id - a.id)
        .slice(0, limit)
        .map((e) => ({ id: e.id, at: new Date(e.at).toISOString(), action: e.action, name: e.name, actor: e.actor, ip: e.ip, detail: e.detail }));
      void reply.header("cache-control", "no-store");
      return { entries };
    },
  );

  app.get(
    "/api/dashboard/activity",
    {
      schema: {
        summary: "Dashboard sessions: per name of the account and per UTC day, messages received and sent, blocked and expired",
        querystring: ActivityQuerySchema,
        response: { 200: ActivityResponseSchema },
      },
    },
    async (request, reply) => {
      const session = sessionOf(request);
      const { days } = request.query;
      const today = Math.floor(clock.now() / DAY_MS);
      const first = today - days + 1;
      const names = await directory.listNamesOfAccount(session.accountId);
      const counts = await ctx.receipts.countPerDay(
        names.map((n) => n.name),
        first * DAY_MS,
      );
      const zeros = (): number[] => new Array<number>(days).fill(0);
      const byName = new Map<string, NameActivity>(names.map((n) => [n.name, { name: n.name, received: zeros(), sent: zeros(), blocked: zeros(), expired: zeros() }]));
      for (const c of counts) {
        const series = byName.get(c.name);
        const i = c.day - first;
        if (series === undefined || i < 0 || i >= days) continue;
        series.received[i] = c.received;
        series.sent[i] = c.sent;
        series.blocked[i] = c.blocked;
        series.expired[i] = c.expired;
      }
      void reply.header("cache-control", "no-store");
      return {
        days: Array.from({ length: days }, (_, i) => new Date((first + i) * DAY_MS).toISOString().slice(0, 10)),
        names: [...byName.values()],
      };
    },
  );
}
