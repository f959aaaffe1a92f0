/** The dashboard: the session decides between the sign-in page and the pages of the account. */

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { z } from "zod";
import { SessionResponseSchema, type SessionResponse } from "../protocol/dashboard.js";
import { ApiError, call, errorText, useCsrfToken } from "./api.js";
import { useLiveVersion } from "./live.js";
import { ActivityPage } from "./pages/activity.js";
import { ApprovalsPage, countApprovals } from "./pages/approvals.js";
import { MessagesPage } from "./pages/messages.js";
import { NamesPage } from "./pages/names.js";
import { SignInPage } from "./pages/sign-in.js";
import { hrefOf, useRoute, type Route } from "./router.js";

type SessionState = { readonly kind: "loading" } | { readonly kind: "signed-out" } | { readonly kind: "failed"; readonly error: string } | { readonly kind: "signed-in"; readonly session: SessionResponse };

const LogoutAnswer = z.object({ success: z.literal(true) });

function Nav({ route, session, held, onSignOut }: { route: Route; session: SessionResponse; held: number; onSignOut: () => void }): JSX.Element {
  const first = session.names[0]?.name;
  const items: ReadonlyArray<{ page: Route["page"]; href: string; label: string }> = [
    { page: "names", href: hrefOf({ page: "names", name: undefined }), label: "Names" },
    { page: "messages", href: hrefOf({ page: "messages", name: first, box: "inbox", id: undefined }), label: "Messages" },
    { page: "approvals", href: hrefOf({ page: "approvals" }), label: "Approvals" },
    { page: "activity", href: hrefOf({ page: "activity" }), label: "Activity" },
  ];
  return (
    <header class="top">
      <a class="skip" href="#main">
        Skip to the page
      </a>
      <span class="brand">ClawTell</span>
      <nav aria-label="Dashboard">
        {items.map((item) => (
          <a key={item.page} href={item.href} aria-current={route.page === item.page ? "page" : undefined}>
            {item.label}
            {item.page === "approvals" && held > 0 ? (
              <span class="badge" aria-label={`${held} waiting`}>
                {held}
              </span>
            ) : null}
          </a>
        ))}
      </nav>
      <span class="account">{session.account.email}</span>
      <button type="button" class="secondary" onClick={onSignOut}>
        Sign out
      </button>
    </header>
  );
}

export function App(): JSX.Element {
  const [state, setState] = useState<SessionState>({ kind: "loading" });
  const route = useRoute();
  const signedIn = state.kind === "signed-in";
  const live = useLiveVersion(signedIn);
  const [held, setHeld] = useState(0);
  const [decided, setDecided] = useState(0);

  useEffect(() => {
    call(SessionResponseSchema, "/api/auth/session").then(
      (session) => {
        useCsrfToken(session.csrf_token);
        setState({ kind: "signed-in", session });
      },
      (err: unknown) => setState(err instanceof ApiError && err.status === 401 ? { kind: "signed-out" } : { kind: "failed", error: errorText(err) }),
    );
  }, []);

  const firstName = state.kind === "signed-in" ? state.session.names[0]?.name : undefined;
  useEffect(() => {
    if (firstName !== undefined) countApprovals(firstName).then(setHeld, () => undefined);
  }, [firstName, live, decided, route.page]);

  if (state.kind === "loading") return <p aria-busy="true">Loading…</p>;
  if (state.kind === "signed-out") return <SignInPage />;
  if (state.kind === "failed") {
    return (
      <main id="main" class="page narrow">
        <h1>ClawTell</h1>
        <p class="error">{state.error}</p>
      </main>
    );
  }
  const { session } = state;
  const signOut = (): void => {
    call(LogoutAnswer, "/api/auth/logout", { method: "POST" }).then(
      () => setState({ kind: "signed-out" }),
      (err: unknown) => setState({ kind: "failed", error: errorText(err) }),
    );
  };
  return (
    <>
      <Nav route={route} session={session} held={held} onSignOut={signOut} />
      <main id="main" tabIndex={-1}>
        {route.page === "names" ? <NamesPage session={session} selected={route.name} /> : null}
        {route.page === "messages" ? <MessagesPage session={session} route={route} version={live} /> : null}
        {route.page === "approvals" ? <ApprovalsPage name={firstName} version={live} onChange={() => setDecided((d) => d + 1)} /> : null}
        {route.page === "activity" ? <ActivityPage session={session} version={live} /> : null}
      </main>
    </>
  );
}
