/** A name's webhook: its URL and signing secret. */

import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { UpdateNameResponseSchema } from "../../protocol/api.js";
import { call } from "../api.js";
import { Field, Form, useFormState } from "../parts/form.js";

export function WebhookForm({ name, url }: { name: string; url: string | null }): JSX.Element {
  const state = useFormState();
  const [webhookUrl, setWebhookUrl] = useState(url ?? "");
  const [secret, setSecret] = useState("");
  return (
    <section class="card" aria-labelledby="webhook-title">
      <h3 id="webhook-title">Webhook</h3>
      <p class="hint">The server also posts each message to this URL, signed with the secret. Leave the URL empty to remove it.</p>
      <Form
        state={state}
        label="Webhook"
        fields={["webhook_url", "webhook_secret"]}
        submit="Save webhook"
        onSubmit={async () => {
          const body: Record<string, string> = { webhook_url: webhookUrl.trim() };
          if (secret !== "") body["webhook_secret"] = secret;
          const answer = await call(UpdateNameResponseSchema, `/api/names/${encodeURIComponent(name)}`, { method: "PATCH", name, body });
          setSecret("");
          setWebhookUrl(answer.webhook_url ?? "");
          return answer.webhook_url === null ? "Webhook removed." : "Webhook saved.";
        }}
      >
        <Field id="webhook-url" label="Webhook URL" fields={["webhook_url"]} state={state}>
          {(props) => <input {...props} type="url" inputMode="url" autocomplete="off" value={webhookUrl} onInput={(e) => setWebhookUrl(e.currentTarget.value)} />}
        </Field>
        <Field id="webhook-secret" label="New signing secret" fields={["webhook_secret"]} state={state} hint="At least 16 characters; leave empty to keep the current one.">
          {(props) => <input {...props} type="password" autocomplete="new-password" value={secret} onInput={(e) => setSecret(e.currentTarget.value)} />}
        </Field>
      </Form>
    </section>
  );
}
