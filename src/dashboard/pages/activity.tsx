/**
 * Activity: messages per day per name over the last two weeks, counted by the server (`GET /api/dashboard/activity`),
 * the dead ends at a glance (sends blocked by a delivery policy, messages expired unacked), and the account's audit log.
 */

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import {
  AccountAuditResponseSchema,
  ActivityResponseSchema,
  type ActivityResponse,
  type AuditEntryWire,
  type NameActivity,
  type SessionResponse,
} from "../../protocol/dashboard.js";
import { call, errorText } from "../api.js";
import { hrefOf } from "../router.js";

const DAYS = 14;
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

function Chart({ series, days }: { series: NameActivity; days: readonly string[] }): JSX.Element {
  const perDay = series.received.map((n, i) => n + (series.sent[i] ?? 0));
  const max = Math.max(1, ...perDay);
  const total = sum(perDay);
  const width = 8;
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${days.length * width} 40`}
        role="img"
        aria-label={`tell/${series.name}: ${total} messages in the last ${days.length} days (${sum(series.received)} received, ${sum(series.sent)} sent)`}
        preserveAspectRatio="none"
      >
        {perDay.map((n, i) => (
          <rect key={days[i] ?? i} x={i * width + 1} width={width - 2} y={40 - (n / max) * 38} height={(n / max) * 38} class="bar">
            <title>
              {days[i]}: {series.received[i] ?? 0} received, {series.sent[i] ?? 0} sent
            </title>
          </rect>
        ))}
      </svg>
      <figcaption>
        tell/{series.name}: {total} in {days.length} days, today {perDay[perDay.length - 1] ?? 0}
      </figcaption>
    </figure>
  );
}

/** Per name, the blocked and expired messages of the period, linking to the outbox where each one is listed. */
function DeadEnds({ activity }: { activity: ActivityResponse }): JSX.Element {
  const rows = activity.names.map((n) => ({ name: n.name, blocked: sum(n.blocked), expired: sum(n.expired) }));
  const none = rows.every((r) => r.blocked === 0 && r.expired === 0);
  return (
    <section aria-labelledby="dead-ends-title">
      <h2 id="dead-ends-title">Dead ends</h2>
      <p class="hint">Messages that went nowhere in the last {activity.days.length} days: sends refused by a delivery policy, and messages never acknowledged before they expired.</p>
      {none ? (
        <p class="empty">None: every message reached its end.</p>
      ) : (
        <ul class="dead-ends">
          {rows
            .filter((r) => r.blocked > 0 || r.expired > 0)
            .map((r) => (
              <li key={r.name}>
                <a href={hrefOf({ page: "messages", name: r.name, box: "outbox", id: undefined })}>tell/{r.name}</a>
                <span class={r.blocked > 0 ? "state state-blocked" : "state"}>{r.blocked} blocked</span>
                <span class={r.expired > 0 ? "state state-expired" : "state"}>{r.expired} expired</span>
              </li>
            ))}
        </ul>
      )}
    </section>
  );
}

export function ActivityPage({ session, version }: { session: SessionResponse; version: number }): JSX.Element {
  const [activity, setActivity] = useState<ActivityResponse | undefined>(undefined);
  const [audit, setAudit] = useState<AuditEntryWire[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    call(ActivityResponseSchema, `/api/dashboard/activity?days=${DAYS}`).then(setActivity, (err: unknown) => setError(errorText(err)));
    call(AccountAuditResponseSchema, "/api/dashboard/audit?limit=100").then((a) => setAudit(a.entries), (err: unknown) => setError(errorText(err)));
  }, [session, version]);
  return (
    <div class="page">
      <h1>Activity</h1>
      {error === undefined ? null : <p class="error">{error}</p>}
      <section aria-labelledby="per-day-title">
        <h2 id="per-day-title">Messages per day</h2>
        <div class="grid">
          {activity === undefined ? <p aria-busy="true">Loading…</p> : activity.names.map((n) => <Chart key={n.name} series={n} days={activity.days} />)}
        </div>
      </section>
      {activity === undefined ? null : <DeadEnds activity={activity} />}
      <section aria-labelledby="audit-title">
        <h2 id="audit-title">Audit log</h2>
        {audit === undefined ? null : audit.length === 0 ? (
          <p class="empty">Nothing recorded yet.</p>
        ) : (
          <div class="scroll" tabIndex={0} role="region" aria-label="Audit log entries">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Action</th>
                  <th scope="col">Name</th>
                  <th scope="col">By</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                {audit.map((e) => (
                  <tr key={e.id}>
                    <td>
                      <time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time>
                    </td>
                    <td>{e.action}</td>
                    <td>{e.name === null ? "—" : `tell/${e.name}`}</td>
                    <td>{e.actor}</td>
                    <td>{e.detail ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
