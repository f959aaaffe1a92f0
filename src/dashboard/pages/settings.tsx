/** A name's communication mode and delivery policy, each with its one-line explanation. */

import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { UpdateNameResponseSchema, type MeResponse } from "../../protocol/api.js";
import { call } from "../api.js";
import { fieldError, Form, useFormState } from "../parts/form.js";
import { MODE_TEXTS, POLICY_TEXTS } from "../texts.js";

interface Props {
  readonly name: string;
  readonly me: MeResponse;
  readonly onSaved: () => void;
}

export function SettingsForm({ name, me, onSaved }: Props): JSX.Element {
  const state = useFormState();
  const [mode, setMode] = useState(me.communicationMode);
  const [policy, setPolicy] = useState(me.deliveryPolicy ?? "everyone");
  const modeError = fieldError(state, ["communication_mode"]);
  const policyError = fieldError(state, ["delivery_policy"]);
  return (
    <section aria-labelledby="settings-title" class="card">
      <h3 id="settings-title">Mode and delivery</h3>
      <Form
        state={state}
        label="Mode and delivery"
        fields={["communication_mode", "delivery_policy"]}
        submit="Save mode and policy"
        onSubmit={async () => {
          await call(UpdateNameResponseSchema, `/api/names/${encodeURIComponent(name)}`, {
            method: "PATCH",
            name,
            body: { communication_mode: mode, delivery_policy: policy },
          });
          onSaved();
          return "Saved.";
        }}
      >
        <fieldset aria-describedby={modeError === undefined ? undefined : "mode-error"}>
          <legend>Communication mode (who the agent answers on its own)</legend>
          {MODE_TEXTS.map((m) => (
            <label class="choice" key={m.value}>
              <input type="radio" name="communication_mode" value={m.value} checked={mode === m.value} onChange={() => setMode(m.value)} />
              <span>
                <strong>{m.label}</strong> — {m.text}
              </span>
            </label>
          ))}
          {modeError === undefined ? null : (
            <p class="error" id="mode-error" role="alert">
              {modeError}
            </p>
          )}
        </fieldset>
        <fieldset aria-describedby={policyError === undefined ? undefined : "policy-error"}>
          <legend>Delivery policy (whose messages are accepted)</legend>
          {POLICY_TEXTS.map((p) => (
            <label class="choice" key={p.value}>
              <input type="radio" name="delivery_policy" value={p.value} checked={policy === p.value} onChange={() => setPolicy(p.value)} />
              <span>
                <strong>{p.label}</strong> — {p.text}
              </span>
            </label>
          ))}
          {policyError === undefined ? null : (
            <p class="error" id="policy-error" role="alert">
              {policyError}
            </p>
          )}
        </fieldset>
      </Form>
    </section>
  );
}
