/** The auto-reply allowlist and the delivery allowlist and blocklist of a name: entries, add, remove. */

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { z } from "zod";
import { AllowlistEntrySchema, DeliveryListEntrySchema } from "../../protocol/api.js";
import { NameRefSchema } from "../../protocol/names.js";
import { ApiError, call, errorText } from "../api.js";
import { Field, Form, useFormState } from "../parts/form.js";
import { LIST_TEXTS } from "../texts.js";

interface ListSpec {
  readonly id: keyof typeof LIST_TEXTS;
  readonly path: string;
  readonly read: (answer: unknown) => string[];
}

const AutoAnswer = z.object({ allowlist: z.array(AllowlistEntrySchema) });
const AllowAnswer = z.object({ allowlist: z.array(DeliveryListEntrySchema) });
const BlockAnswer = z.object({ blocklist: z.array(DeliveryListEntrySchema) });
const AddAnswer = z.object({ success: z.literal(true) });
const RemoveAnswer = z.object({ success: z.literal(true), removed: z.boolean() });

const LISTS: readonly ListSpec[] = [
  { id: "auto", path: "/api/allowlist", read: (a) => AutoAnswer.parse(a).allowlist.map((e) => e.allowed_name) },
  { id: "allow", path: "/api/delivery/allowlist", read: (a) => AllowAnswer.parse(a).allowlist.map((e) => e.name) },
  { id: "block", path: "/api/delivery/blocklist", read: (a) => BlockAnswer.parse(a).blocklist.map((e) => e.name) },
];

function ListEditor({ name, spec }: { name: string; spec: ListSpec }): JSX.Element {
  const [entries, setEntries] = useState<string[] | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [other, setOther] = useState("");
  const state = useFormState();
  const text = LIST_TEXTS[spec.id];
  const inputId = `list-${spec.id}-name`;

  const load = async (): Promise<void> => {
    try {
      setEntries(spec.read(await call(z.unknown(), spec.path, { name })));
    } catch (err) {
      setLoadError(errorText(err));
    }
  };
  useEffect(() => {
    void load();
  }, [name, spec.path]);

  return (
    <section class="card" aria-labelledby={`list-${spec.id}-title`}>
      <h3 id={`list-${spec.id}-title`}>{text.title}</h3>
      <p class="hint">{text.text}</p>
      {loadError === undefined ? null : <p class="error">{loadError}</p>}
      {entries === undefined ? null : entries.length === 0 ? (
        <p class="empty">No entries.</p>
      ) : (
        <ul class="entries" aria-label={text.title}>
          {entries.map((entry) => (
            <li key={entry}>
              <span>tell/{entry}</span>
              <button
                type="button"
                class="small"
                aria-label={`Remove tell/${entry} from the ${text.title.toLowerCase()}`}
                onClick={() =>
                  void state.run(async () => {
                    await call(RemoveAnswer, `${spec.path}/${encodeURIComponent(entry)}`, { method: "DELETE", name });
                    await load();
                    return `Removed tell/${entry}.`;
                  })
                }
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <Form
        state={state}
        label={`Add to the ${text.title.toLowerCase()}`}
        fields={["name"]}
        submit="Add"
        onSubmit={async () => {
          // The same rule the server applies; its answer is shown the same way when it refuses.
          const parsed = NameRefSchema.safeParse(other.trim());
          if (!parsed.success) throw new ApiError(400, parsed.error.issues[0]?.message ?? "is not a name", "CT_BAD_REQUEST", "name");
          await call(AddAnswer, spec.path, { method: "POST", name, body: { name: parsed.data } });
          setOther("");
          await load();
          return `Added tell/${parsed.data}.`;
        }}
      >
        <Field id={inputId} label="Name to add" fields={["name"]} state={state} hint="A tell/ name, with or without tell/.">
          {(props) => <input {...props} type="text" autocomplete="off" spellcheck={false} value={other} onInput={(e) => setOther(e.currentTarget.value)} />}
        </Field>
      </Form>
    </section>
  );
}

export function Lists({ name }: { name: string }): JSX.Element {
  return (
    <div class="grid">
      {LISTS.map((spec) => (
        <ListEditor key={`${name}-${spec.id}`} name={name} spec={spec} />
      ))}
    </div>
  );
}
