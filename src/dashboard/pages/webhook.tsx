/** A name's webhook: its URL and signing secret, and a button that sends a signed test event to it at once. */

import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { UpdateNameResponseSchema } from "../../protocol/api.js";
import { WebhookTestResponseSchema, type WebhookTestResponse } from "../../protocol/dashboard.js";
import { ApiError, call, errorText } from "../api.js";
import { Field, Form, useFormState } from "../parts/form.js";

function outcomeText(outcome: WebhookTestResponse): string {
  if (outcome.delivered) return `Test event delivered: the receiver answered HTTP ${outcome.statusCode ?? ""}.`;
  return `Test event not delivered: ${outcome.error ?? "no answer"}.`;
}

/** Sends `webhook.test` to the saved URL; the outcome (or the server's error) shows beside the URL field. */
function TestButton({ name }: { name: string }): JSX.Element {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const run = async (): Promise<void> => {
    setBusy(true);
    setOutcome(undefined);
    try {
      const answer = await call(WebhookTestResponseSchema, "/api/webhooks/test", { method: "POST", name });
      setOutcome({ ok: answer.delivered, text: outcomeText(answer) });
    } catch (err) {
      setOutcome({ ok: false, text: err instanceof ApiError ? err.message : errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="actions test-event">
      <button type="button" class="secondary" disabled={busy} onClick={() => void run()} aria-describedby="webhook-test-outcome">
        Send a test event
      </button>
      <span id="webhook-test-outcome" role="status" class={outcome === undefined ? undefined : outcome.ok ? "done" : "error"}>
        {outcome?.text ?? ""}
      </span>
    </div>
  );
}

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
        <TestButton name={name} />
        <Field id="webhook-secret" label="New signing secret" fields={["webhook_secret"]} state={state} hint="At least 16 characters; leave empty to keep the current one.">
          {(props) => <input {...props} type="password" autocomplete="new-password" value={secret} onInput={(e) => setSecret(e.currentTarget.value)} />}
        </Field>
      </Form>
    </section>
  );
}
