/** Rotating a name's API key: the new key is shown once, with a copy button. */

import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { RotateKeyResponseSchema } from "../../protocol/dashboard.js";
import { call } from "../api.js";
import { Form, useFormState } from "../parts/form.js";

export function KeyPanel({ name }: { name: string }): JSX.Element {
  const state = useFormState();
  const [key, setKey] = useState<string | undefined>(undefined);
  const [copied, setCopied] = useState(false);
  return (
    <section class="card" aria-labelledby="key-title">
      <h3 id="key-title">API key</h3>
      <p class="hint">A new key replaces the old one at once: the agent using the old key is refused until it gets the new one.</p>
      {key === undefined ? null : (
        <div class="secret" role="status">
          <p>The new key of tell/{name}, shown this once:</p>
          <code id="new-key">{key}</code>
          <button
            type="button"
            onClick={() => {
              void navigator.clipboard.writeText(key).then(
                () => setCopied(true),
                () => setCopied(false),
              );
            }}
          >
            {copied ? "Copied" : "Copy key"}
          </button>
        </div>
      )}
      <Form
        state={state}
        label="Rotate key"
        fields={[]}
        submit="Rotate key"
        onSubmit={async () => {
          if (!confirm(`Replace the key of tell/${name}? The old key stops working at once.`)) return;
          const answer = await call(RotateKeyResponseSchema, "/api/keys/rotate", { method: "POST", name });
          setCopied(false);
          setKey(answer.apiKey);
        }}
      />
    </section>
  );
}
