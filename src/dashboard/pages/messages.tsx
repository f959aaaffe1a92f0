/**
 * Inbox and outbox of a name. The inbox lists recent messages with their state (unread, delivered, acked, expired;
 * `GET /api/messages/inbox` leases nothing) and reloads live; a message's detail has its attachments, downloaded
 * through signed links. The outbox lists the name's sent messages with their receipts (`GET /api/messages/outbox`),
 * and looks up any receipt by its message id.
 */

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { FileUrlResponseSchema, InboxResponseSchema, type InboxResponse } from "../../protocol/api.js";
import { MessageStatusResponseSchema, type MessageStatusResponse } from "../../protocol/webhooks.js";
import type { Message } from "../../protocol/message.js";
import { OutboxResponseSchema, type OutboxResponse, type SessionResponse } from "../../protocol/dashboard.js";
import { call, errorText } from "../api.js";
import { Field, Form, useFormState } from "../parts/form.js";
import { hrefOf, type Route } from "../router.js";

type MessagesRoute = Extract<Route, { page: "messages" }>;

const when = (iso: string): string => new Date(iso).toLocaleString();

const STATE_TEXTS: Readonly<Record<string, string>> = {
  unread: "unread",
  delivered: "delivered",
  acked: "acked",
  expired: "expired",
  accepted: "accepted",
  blocked: "blocked",
  pending_approval: "waiting for approval",
  rejected: "rejected",
};

/** A message's state as a labelled tag; dead ends (blocked, expired, rejected) stand out. */
function StateTag({ state }: { state: string | undefined }): JSX.Element | null {
  if (state === undefined) return null;
  return <span class={`state state-${state}`}>{STATE_TEXTS[state] ?? state}</span>;
}

function Attachments({ name, message }: { name: string; message: Message }): JSX.Element | null {
  const state = useFormState();
  if (message.attachments.length === 0) return null;
  return (
    <section aria-labelledby="attachments-title">
      <h3 id="attachments-title">Attachments</h3>
      <ul class="entries">
        {message.attachments.map((file) => (
          <li key={file.fileId}>
            <span>
              {file.filename} <small>({file.mime_type})</small>
            </span>
            <button
              type="button"
              class="small"
              onClick={() =>
                void state.run(async () => {
                  const link = await call(FileUrlResponseSchema, `/api/files/${encodeURIComponent(file.fileId)}`, { name });
                  location.assign(new URL(link.signedUrl).pathname + new URL(link.signedUrl).search);
                })
              }
            >
              Download {file.filename}
            </button>
          </li>
        ))}
      </ul>
      {state.error === undefined ? null : <p class="error">{errorText(state.error)}</p>}
    </section>
  );
}

function Detail({ name, message }: { name: string; message: Message }): JSX.Element {
  return (
    <article class="card detail" aria-labelledby="message-subject">
      <h2 id="message-subject">{message.subject}</h2>
      <dl class="meta">
        <dt>From</dt>
        <dd>{message.from}</dd>
        <dt>To</dt>
        <dd>tell/{name}</dd>
        <dt>Sent</dt>
        <dd>{when(message.createdAt)}</dd>
        <dt>State</dt>
        <dd>
          <StateTag state={message.state} />
        </dd>
        <dt>Agent may answer on its own</dt>
        <dd>{message.autoReplyEligible === true ? "yes" : "no"}</dd>
      </dl>
      <pre class="body">{message.body}</pre>
      <Attachments name={name} message={message} />
      <p>
        <a href={hrefOf({ page: "messages", name, box: "inbox", id: undefined })}>Back to the inbox</a>
      </p>
    </article>
  );
}

function Inbox({ route, name, version }: { route: MessagesRoute; name: string; version: number }): JSX.Element {
  const [inbox, setInbox] = useState<InboxResponse | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    call(InboxResponseSchema, "/api/messages/inbox?limit=50", { name }).then(setInbox, (err: unknown) => setError(errorText(err)));
    // Read again on opening a message or going back: its state may have changed since (handed out, acked).
  }, [name, version, route.id]);
  if (error !== undefined) return <p class="error">{error}</p>;
  if (inbox === undefined) return <p aria-busy="true">Loading…</p>;
  const open = inbox.messages.find((m) => m.id === route.id);
  if (open !== undefined) return <Detail name={name} message={open} />;
  return (
    <section aria-labelledby="inbox-title">
      <h2 id="inbox-title">
        Inbox of tell/{name} <span class="badge">{inbox.unreadCount} unread</span>
      </h2>
      {inbox.messages.length === 0 ? (
        <p class="empty">No messages.</p>
      ) : (
        <ul class="messages" aria-live="polite" aria-label={`Messages of tell/${name}`}>
          {inbox.messages.map((m) => (
            <li key={m.id} class={m.read === true ? "read" : "unread"}>
              <a href={hrefOf({ page: "messages", name, box: "inbox", id: m.id })}>
                <span class="from">{m.from}</span>
                <span class="subject">{m.subject}</span>
                <StateTag state={m.state ?? (m.read === true ? "acked" : "unread")} />
                <time dateTime={m.createdAt}>{when(m.createdAt)}</time>
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function SentList({ name, version }: { name: string; version: number }): JSX.Element {
  const [outbox, setOutbox] = useState<OutboxResponse | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    call(OutboxResponseSchema, "/api/messages/outbox?limit=50", { name }).then(setOutbox, (err: unknown) => setError(errorText(err)));
  }, [name, version]);
  if (error !== undefined) return <p class="error">{error}</p>;
  if (outbox === undefined) return <p aria-busy="true">Loading…</p>;
  if (outbox.messages.length === 0) return <p class="empty">Nothing sent yet.</p>;
  return (
    <ul class="messages" aria-label={`Sent by tell/${name}`}>
      {outbox.messages.map((m) => (
        <li key={m.messageId}>
          <div class="sent">
            <span class="from">to {m.to}</span>
            <span class="subject">{m.subject ?? <em>(not stored)</em>}</span>
            <StateTag state={m.status} />
            <time dateTime={m.sentAt}>{when(m.sentAt)}</time>
            <small class="history">{m.history.map((h) => STATE_TEXTS[h.status] ?? h.status).join(" → ")}</small>
            <small class="id">{m.messageId}</small>
          </div>
        </li>
      ))}
    </ul>
  );
}

function Outbox({ name, version }: { name: string; version: number }): JSX.Element {
  const state = useFormState();
  const [id, setId] = useState("");
  const [receipt, setReceipt] = useState<MessageStatusResponse | undefined>(undefined);
  return (
    <>
      <section aria-labelledby="outbox-title">
        <h2 id="outbox-title">Sent by tell/{name}</h2>
        <p class="hint">Each sent message with its receipt: accepted, delivered, acked, expired, blocked, waiting for approval or rejected.</p>
        <SentList name={name} version={version} />
      </section>
      <section aria-labelledby="receipt-title" class="card">
        <h2 id="receipt-title">Look up a receipt</h2>
        <Form
          state={state}
          label="Look up a receipt"
          fields={["id"]}
          submit="Look up"
          onSubmit={async () => {
            setReceipt(await call(MessageStatusResponseSchema, `/api/messages/${encodeURIComponent(id.trim())}/status`, { name }));
          }}
        >
          <Field id="receipt-id" label="Message id" fields={["id"]} state={state}>
            {(props) => <input {...props} type="text" autocomplete="off" spellcheck={false} value={id} onInput={(e) => setId(e.currentTarget.value)} />}
          </Field>
        </Form>
        {receipt === undefined ? null : (
          <div role="status">
            <p>
              {receipt.from} → {receipt.to}: <strong>{receipt.status}</strong>
            </p>
            <ol class="history">
              {receipt.history.map((h) => (
                <li key={h.status}>
                  {h.status} <time dateTime={h.at}>{when(h.at)}</time>
                </li>
              ))}
            </ol>
          </div>
        )}
      </section>
    </>
  );
}

export function MessagesPage({ session, route, version }: { session: SessionResponse; route: MessagesRoute; version: number }): JSX.Element {
  const name = route.name ?? session.names[0]?.name;
  return (
    <div class="page">
      <h1>Messages</h1>
      {name === undefined ? (
        <p class="empty">This account has no names yet.</p>
      ) : (
        <>
          <nav aria-label="Names and boxes" class="tabs">
            {session.names.map((n) => (
              <a key={n.name} href={hrefOf({ page: "messages", name: n.name, box: route.box, id: undefined })} aria-current={n.name === name ? "page" : undefined}>
                {n.full_name}
              </a>
            ))}
          </nav>
          <nav aria-label="Inbox or outbox" class="tabs">
            <a href={hrefOf({ page: "messages", name, box: "inbox", id: undefined })} aria-current={route.box === "inbox" ? "page" : undefined}>
              Inbox
            </a>
            <a href={hrefOf({ page: "messages", name, box: "outbox", id: undefined })} aria-current={route.box === "outbox" ? "page" : undefined}>
              Outbox
            </a>
          </nav>
          {route.box === "inbox" ? <Inbox route={route} name={name} version={version} /> : <Outbox name={name} version={version} />}
        </>
      )}
    </div>
  );
}
