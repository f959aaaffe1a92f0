/** Activity: messages per day per name over the last two weeks (from the recent inbox), and the account's audit log. */

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { InboxResponseSchema } from "../../protocol/api.js";
import { AccountAuditResponseSchema, type AuditEntryWire, type SessionResponse } from "../../protocol/dashboard.js";
import { call, errorText } from "../api.js";

const DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;

interface Series {
  readonly name: string;
  /** Messages per day, oldest first, the last one today (UTC days). */
  readonly counts: number[];
}

async function loadSeries(names: readonly string[], today: number): Promise<Series[]> {
  return Promise.all(
    names.map(async (name) => {
      const inbox = await call(InboxResponseSchema, "/api/messages/inbox?limit=100", { name });
      const counts = new Array<number>(DAYS).fill(0);
      for (const m of inbox.messages) {
        const ago = today - Math.floor(Date.parse(m.createdAt) / DAY_MS);
        if (ago >= 0 && ago < DAYS) counts[DAYS - 1 - ago] = (counts[DAYS - 1 - ago] ?? 0) + 1;
      }
      return { name, counts };
    }),
  );
}

function Chart({ series }: { series: Series }): JSX.Element {
  const max = Math.max(1, ...series.counts);
  const total = series.counts.reduce((a, b) => a + b, 0);
  const width = 8;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${DAYS * width} 40`} role="img" aria-label={`tell/${series.name}: ${total} messages in the last ${DAYS} days`} preserveAspectRatio="none">
        {series.counts.map((n, i) => (
          <rect key={i} x={i * width + 1} width={width - 2} y={40 - (n / max) * 38} height={(n / max) * 38} class="bar" />
        ))}
      </svg>
      <figcaption>
        tell/{series.name}: {total} in {DAYS} days, today {series.counts[DAYS - 1] ?? 0}
      </figcaption>
    </figure>
  );
}

export function ActivityPage({ session, version }: { session: SessionResponse; version: number }): JSX.Element {
  const [series, setSeries] = useState<Series[] | undefined>(undefined);
  const [audit, setAudit] = useState<AuditEntryWire[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    const today = Math.floor(Date.now() / DAY_MS);
    loadSeries(
      session.names.map((n) => n.name),
      today,
    ).then(setSeries, (err: unknown) => setError(errorText(err)));
    call(AccountAuditResponseSchema, "/api/dashboard/audit?limit=100").then((a) => setAudit(a.entries), (err: unknown) => setError(errorText(err)));
  }, [session, version]);
  return (
    <div class="page">
      <h1>Activity</h1>
      {error === undefined ? null : <p class="error">{error}</p>}
      <section aria-labelledby="per-day-title">
        <h2 id="per-day-title">Messages per day</h2>
        <div class="grid">{series === undefined ? <p aria-busy="true">Loading…</p> : series.map((s) => <Chart key={s.name} series={s} />)}</div>
      </section>
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
