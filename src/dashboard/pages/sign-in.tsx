/** Sign in: the server mails a link to the account's email; the link's page signs this browser in. */

import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { z } from "zod";
import { call } from "../api.js";
import { Field, Form, useFormState } from "../parts/form.js";

const MagicLinkAnswer = z.object({ success: z.literal(true), message: z.string() });

export function SignInPage(): JSX.Element {
  const state = useFormState();
  const [email, setEmail] = useState("");
  return (
    <main class="page narrow" id="main">
      <h1>Sign in to ClawTell</h1>
      <p>Enter your account's email: a sign-in link is mailed to it, valid for 15 minutes.</p>
      <Form
        state={state}
        label="Sign in"
        fields={["email"]}
        submit="Mail me a sign-in link"
        onSubmit={async () => (await call(MagicLinkAnswer, "/api/auth/magic-link", { method: "POST", body: { email: email.trim() } })).message}
      >
        <Field id="email" label="Email" fields={["email"]} state={state}>
          {(props) => <input {...props} type="email" autocomplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />}
        </Field>
      </Form>
    </main>
  );
}
