/** Messages held for the account's approval: approve (delivered at once) or reject (the sender is told). */

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApprovalDecisionResponseSchema, ApprovalListResponseSchema, type HeldMessage } from "../../protocol/dashboard.js";
import { call, errorText } from "../api.js";
import { useFormState } from "../parts/form.js";

/** The held messages of the account; any of its names may read them. */
export async function loadApprovals(name: string): Promise<HeldMessage[]> {
  return (await call(ApprovalListResponseSchema, "/api/approvals?limit=100", { name })).approvals;
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
  const [held, setHeld] = useState<HeldMessage[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [turn, setTurn] = useState(0);
  useEffect(() => {
    if (name !== undefined) loadApprovals(name).then(setHeld, (err: unknown) => setError(errorText(err)));
  }, [name, version, turn]);
  return (
    <div class="page">
      <h1>Approvals</h1>
      {name === undefined ? <p class="empty">This account has no names yet.</p> : null}
      {error === undefined ? null : <p class="error">{error}</p>}
      {held === undefined ? null : held.length === 0 ? (
        <p class="empty">Nothing waits for your approval.</p>
      ) : (
        <ul class="stack plain" aria-label="Held messages">
          {held.map((h) => (
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
      )}
    </div>
  );
}
