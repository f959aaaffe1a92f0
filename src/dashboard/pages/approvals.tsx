/** Messages held for the account's approval: approve (delivered at once) or reject (the sender is told). */

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApprovalDecisionResponseSchema, ApprovalListResponseSchema, type ApprovalListResponse, type HeldMessage } from "../../protocol/dashboard.js";
import { call, errorText } from "../api.js";
import { useFormState } from "../parts/form.js";

/** The page lists this many, oldest first; `total` says how many wait in all. */
const PAGE_LIMIT = 100;

/** The oldest held messages of the account, and how many wait in all; any of its names may read them. */
export async function loadApprovals(name: string): Promise<ApprovalListResponse> {
  return call(ApprovalListResponseSchema, `/api/approvals?limit=${PAGE_LIMIT}`, { name });
}

/** How many messages wait for the account's approval, however many: the count the store makes, not a page's length. */
export async function countApprovals(name: string): Promise<number> {
  return (await call(ApprovalListResponseSchema, "/api/approvals?limit=1", { name })).total;
}

function Held({ held, name, onDecided }: { held: HeldMessage; name: string; onDecided: () => void }): JSX.Element {
  const state = useFormState();
  const decide = (decision: "approve" | "reject"): void =>
    void state.run(async () => {
      await call(ApprovalDecisionResponseSchema, `/api/approvals/${encodeURIComponent(held.approvalId)}/${decision}`, { method: "POST", name, ...(decision === "reject" ? { body: {} } : {}) });
      onDecided();
    });
  return (
    <li class="card">
      <h2 class="subject">{held.subject}</h2>
      <p class="meta">
        {held.from} → tell/{held.to_name} · waits until <time dateTime={held.expiresAt}>{new Date(held.expiresAt).toLocaleString()}</time>
      </p>
      <pre class="body">{held.body}</pre>
      {held.attachments.length === 0 ? null : <p class="meta">Attachments: {held.attachments.map((a) => a.filename).join(", ")}</p>}
      {state.error === undefined ? null : (
        <p class="error" role="alert">
          {errorText(state.error)}
        </p>
      )}
      <div class="actions">
        <button type="button" disabled={state.busy} onClick={() => decide("approve")} aria-label={`Approve “${held.subject}” from ${held.from}`}>
          Approve
        </button>
        <button type="button" class="secondary" disabled={state.busy} onClick={() => decide("reject")} aria-label={`Reject “${held.subject}” from ${held.from}`}>
          Reject
        </button>
      </div>
    </li>
  );
}

export function ApprovalsPage({ name, version, onChange }: { name: string | undefined; version: number; onChange: () => void }): JSX.Element {
  const [list, setList] = useState<ApprovalListResponse | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [turn, setTurn] = useState(0);
  useEffect(() => {
    if (name !== undefined) loadApprovals(name).then(setList, (err: unknown) => setError(errorText(err)));
  }, [name, version, turn]);
  return (
    <div class="page">
      <h1>Approvals</h1>
      {name === undefined ? <p class="empty">This account has no names yet.</p> : null}
      {error === undefined ? null : <p class="error">{error}</p>}
      {list === undefined ? null : list.approvals.length === 0 ? (
        <p class="empty">Nothing waits for your approval.</p>
      ) : (
        <>
          {list.total > list.approvals.length ? (
            <p class="hint">
              {list.total} messages wait; the oldest {list.approvals.length} are shown. Decide these and the next ones follow.
            </p>
          ) : null}
          <ul class="stack plain" aria-label="Held messages">
            {list.approvals.map((h) => (
              <Held
                key={h.approvalId}
                held={h}
                name={name ?? h.to_name}
                onDecided={() => {
                  setTurn((t) => t + 1);
                  onChange();
                }}
              />
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
