/**
 * Forms that show the server's error next to the field it names (`field` of the error answer), or above the button
 * when it names none of the form's fields.
 */

import type { ComponentChildren, JSX } from "preact";
import { useState } from "preact/hooks";
import { ApiError, errorText } from "../api.js";

export interface FormState {
  readonly busy: boolean;
  readonly error: unknown;
  readonly done: string | undefined;
  /** Runs the action; its error is kept for the form, its result text (if any) shown as done. */
  run(action: () => Promise<string | void>): Promise<void>;
}

export function useFormState(): FormState {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  return {
    busy,
    error,
    done,
    async run(action) {
      setBusy(true);
      setError(undefined);
      setDone(undefined);
      try {
        const result = await action();
        setDone(typeof result === "string" ? result : undefined);
      } catch (err) {
        setError(err);
      } finally {
        setBusy(false);
      }
    },
  };
}

/** The error for one of the form's fields, when the server named it. */
export function fieldError(state: FormState, fields: readonly string[]): string | undefined {
  const { error } = state;
  if (error instanceof ApiError && error.field !== undefined && fields.includes(error.field)) return error.message;
  return undefined;
}

interface FieldProps {
  readonly id: string;
  readonly label: string;
  /** The request fields whose errors show here. */
  readonly fields: readonly string[];
  readonly state: FormState;
  readonly hint?: string;
  readonly children: (props: { id: string; "aria-invalid": boolean; "aria-describedby": string | undefined }) => JSX.Element;
}

export function Field({ id, label, fields, state, hint, children }: FieldProps): JSX.Element {
  const error = fieldError(state, fields);
  const described = [hint === undefined ? undefined : `${id}-hint`, error === undefined ? undefined : `${id}-error`].filter((x) => x !== undefined).join(" ");
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children({ id, "aria-invalid": error !== undefined, "aria-describedby": described === "" ? undefined : described })}
      {hint === undefined ? null : (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error === undefined ? null : (
        <p class="error" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

interface FormProps {
  readonly state: FormState;
  /** The request fields shown as fields of this form (their errors show beside them, not here). */
  readonly fields: readonly string[];
  readonly onSubmit: () => Promise<string | void>;
  readonly submit: string;
  readonly label?: string;
  readonly children?: ComponentChildren;
}

export function Form({ state, fields, onSubmit, submit, label, children }: FormProps): JSX.Element {
  const general = state.error !== undefined && fieldError(state, fields) === undefined ? errorText(state.error) : undefined;
  return (
    <form
      aria-label={label}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void state.run(onSubmit);
      }}
    >
      {children}
      {general === undefined ? null : (
        <p class="error" role="alert">
          {general}
        </p>
      )}
      <div class="actions">
        <button type="submit" disabled={state.busy}>
          {submit}
        </button>
        {state.done === undefined ? null : (
          <span class="done" role="status">
            {state.done}
          </span>
        )}
      </div>
    </form>
  );
}
