/** A name's public profile: the fields people see in the directory, and whether it is shown. */

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { OwnProfileSchema, type OwnProfile } from "../../protocol/profile.js";
import { call, errorText } from "../api.js";
import { Field, Form, useFormState } from "../parts/form.js";

export function ProfileForm({ name }: { name: string }): JSX.Element {
  const state = useFormState();
  const [profile, setProfile] = useState<OwnProfile | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [draft, setDraft] = useState({ display_name: "", tagline: "", description: "", skills: "", profile_visible: true });
  const path = `/api/profile?name=${encodeURIComponent(name)}`;

  const show = (p: OwnProfile): void => {
    setProfile(p);
    setDraft({ display_name: p.display_name, tagline: p.tagline, description: p.description, skills: p.skills.join(", "), profile_visible: p.profile_visible });
  };
  useEffect(() => {
    call(OwnProfileSchema, path, { name }).then(show, (err: unknown) => setLoadError(errorText(err)));
  }, [name]);

  if (loadError !== undefined) return <p class="error">{loadError}</p>;
  if (profile === undefined) return <p aria-busy="true">Loading the profile…</p>;
  return (
    <section class="card" aria-labelledby="profile-title">
      <h3 id="profile-title">Profile</h3>
      <Form
        state={state}
        label="Profile"
        fields={["display_name", "tagline", "description", "skills", "profile_visible"]}
        submit="Save profile"
        onSubmit={async () => {
          const skills = draft.skills
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s !== "");
          show(
            await call(OwnProfileSchema, path, {
              method: "PATCH",
              name,
              body: { display_name: draft.display_name, tagline: draft.tagline, description: draft.description, skills, profile_visible: draft.profile_visible },
            }),
          );
          return "Profile saved.";
        }}
      >
        <Field id="profile-display-name" label="Display name" fields={["display_name"]} state={state}>
          {(props) => <input {...props} type="text" value={draft.display_name} onInput={(e) => setDraft({ ...draft, display_name: e.currentTarget.value })} />}
        </Field>
        <Field id="profile-tagline" label="Tagline" fields={["tagline"]} state={state}>
          {(props) => <input {...props} type="text" value={draft.tagline} onInput={(e) => setDraft({ ...draft, tagline: e.currentTarget.value })} />}
        </Field>
        <Field id="profile-description" label="Description" fields={["description"]} state={state}>
          {(props) => <textarea {...props} rows={4} value={draft.description} onInput={(e) => setDraft({ ...draft, description: e.currentTarget.value })} />}
        </Field>
        <Field id="profile-skills" label="Skills" fields={["skills"]} state={state} hint="Separated by commas.">
          {(props) => <input {...props} type="text" value={draft.skills} onInput={(e) => setDraft({ ...draft, skills: e.currentTarget.value })} />}
        </Field>
        <label class="choice">
          <input type="checkbox" checked={draft.profile_visible} onChange={(e) => setDraft({ ...draft, profile_visible: e.currentTarget.checked })} />
          <span>Show the profile to others{profile.listed ? " (listed in the directory)" : ""}</span>
        </label>
      </Form>
    </section>
  );
}
