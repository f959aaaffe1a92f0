/** The account's names, and one name's settings, lists, webhook, key and profile. */

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { MeResponseSchema, type MeResponse } from "../../protocol/api.js";
import type { SessionResponse } from "../../protocol/dashboard.js";
import { call, errorText } from "../api.js";
import { hrefOf } from "../router.js";
import { KeyPanel } from "./key.js";
import { Lists } from "./lists.js";
import { ProfileForm } from "./profile.js";
import { SettingsForm } from "./settings.js";
import { WebhookForm } from "./webhook.js";

function NamePanel({ name }: { name: string }): JSX.Element {
  const [me, setMe] = useState<MeResponse | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const load = (): void => {
    call(MeResponseSchema, "/api/me", { name }).then(setMe, (err: unknown) => setError(errorText(err)));
  };
  useEffect(load, [name]);
  if (error !== undefined) return <p class="error">{error}</p>;
  if (me === undefined) return <p aria-busy="true">Loading tell/{name}…</p>;
  return (
    <div class="stack">
      <p class="stats">
        {me.stats.totalMessages} messages, {me.stats.unreadMessages} unread · <a href={hrefOf({ page: "messages", name, box: "inbox", id: undefined })}>Inbox of tell/{name}</a>
      </p>
      <SettingsForm key={`s-${name}`} name={name} me={me} onSaved={load} />
      <Lists name={name} />
      <WebhookForm key={`w-${name}`} name={name} url={me.webhookUrl} />
      <KeyPanel key={`k-${name}`} name={name} />
      <ProfileForm key={`p-${name}`} name={name} />
    </div>
  );
}

export function NamesPage({ session, selected }: { session: SessionResponse; selected: string | undefined }): JSX.Element {
  const name = selected ?? session.names[0]?.name;
  return (
    <div class="page">
      <h1>Names</h1>
      {session.names.length === 0 ? (
        <p class="empty">This account has no names yet.</p>
      ) : (
        <nav aria-label="The account's names" class="tabs">
          {session.names.map((n) => (
            <a key={n.name} href={hrefOf({ page: "names", name: n.name })} aria-current={n.name === name ? "page" : undefined}>
              {n.full_name}
            </a>
          ))}
        </nav>
      )}
      {name === undefined ? null : (
        <>
          <h2>{`tell/${name}`}</h2>
          <NamePanel key={name} name={name} />
        </>
      )}
    </div>
  );
}
