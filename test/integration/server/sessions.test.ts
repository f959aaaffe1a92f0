// Dashboard sessions over real HTTP, with a real SMTP server on loopback: POST /api/auth/magic-link answers 200 for
// any email and mails a known one a single-use link; opening the link (GET) uses nothing up, its page's form post
// does: it sets the session cookie (HttpOnly, SameSite=Lax, Path=/, 30 days, Secure over https) and redirects to
// /dashboard. The cookie authenticates API calls (a name chosen with X-ClawTell-Name), state-changing ones only with
// X-CSRF-Token; logout ends it. Links expire after 15 minutes and ended sessions are deleted (manual clock).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createManualClock } from "../../../src/infra/index.js";
import type { CreatedName } from "../../../src/server/index.js";
import { tokenHash } from "../../../src/server/secret-tokens.js";
import { startSmtpPeer, type SmtpPeer } from "../../helpers/smtp-peer.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

const MINUTE = 60 * 1000;
const DAY = 24 * 60 * MINUTE;

/** Asks for a sign-in link for `email` and answers the link from the mail. */
async function loginLink(server: TestServer, smtp: SmtpPeer, email: string): Promise<URL> {
  expect((await api(server, "POST", "/api/auth/magic-link", { body: { email } })).status).toBe(200);
  return smtp.linkIn(await smtp.takeMail({ to: email, subject: "Your ClawTell sign-in link" }), "/api/auth/verify");
}

/** Posts the sign-in page's form as a browser does (same origin), without following the redirect. */
async function confirm(server: { url: string }, token: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}/api/auth/verify`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: server.url, ...headers },
    body: new URLSearchParams({ token }).toString(),
  });
}

/** The session cookie's value and attributes from a `Set-Cookie`. */
function parseCookie(setCookie: string): { value: string; attributes: string[] } {
  const [pair = "", ...attributes] = setCookie.split(";").map((p) => p.trim());
  expect(pair.startsWith("clawtell_session=")).toBe(true);
  return { value: pair.slice("clawtell_session=".length), attributes };
}

/** Signs in as `email` through the mailed link; answers the cookie value. */
async function signIn(server: TestServer, smtp: SmtpPeer, email: string): Promise<string> {
  const link = await loginLink(server, smtp, email);
  const res = await confirm(server, link.searchParams.get("token") ?? "");
  expect(res.status).toBe(303);
  return parseCookie(res.headers.getSetCookie()[0] ?? "").value;
}

/** A request with the session cookie (and any headers: X-CSRF-Token, X-ClawTell-Name). */
function withSession(server: TestServer, cookie: string, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
  return api(server, method, path, { ...options, headers: { cookie: `theme=dark; clawtell_session=${cookie}`, ...options.headers } });
}

describe("dashboard sessions", () => {
  const clock = createManualClock(Date.parse("2026-06-01T00:00:00Z"));
  let smtp: SmtpPeer;
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    server = await startTestServer({ clock, signup: { smtpUrl: smtp.url, rateLimit: { max: 0 }, cleanupIntervalMs: 60_000 } });
    alice = await server.createName("alice", "alice@example.com");
    await server.createName("alice-helper", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  it("answers the same for an unknown email and mails nothing to it; a known email gets a link on this server's origin", async () => {
    const unknown = await api(server, "POST", "/api/auth/magic-link", { body: { email: "nobody@example.com" } });
    const known = await api(server, "POST", "/api/auth/magic-link", { body: { email: "Alice@Example.com" } });
    expect(unknown.status).toBe(200);
    expect(known.body).toEqual(unknown.body);
    const mail = await smtp.takeMail({ to: "alice@example.com" });
    const link = smtp.linkIn(mail, "/api/auth/verify");
    expect(link.origin).toBe(server.url);
    expect(link.searchParams.get("token")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The known email's mail came after the unknown one was asked for: none went to the unknown one.
    expect(smtp.received.some((m) => m.to.includes("nobody@example.com"))).toBe(false);
    expect((await api(server, "POST", "/api/auth/magic-link", { body: { email: "not an email" } })).body).toMatchObject({ statusCode: 400, field: "email" });
    // Only the hash of the token is stored.
    const token = link.searchParams.get("token") ?? "";
    expect(await server.storage.sessions.findLoginToken(token)).toBeUndefined();
    expect(await server.storage.sessions.findLoginToken(tokenHash(token))).toMatchObject({ accountId: alice.accountId });
  });

  it("opening the link uses nothing up; its form post signs in once with a 30-day HttpOnly, SameSite=Lax cookie and redirects to /dashboard", async () => {
    const link = await loginLink(server, smtp, "alice@example.com");
    const token = link.searchParams.get("token") ?? "";
    for (let i = 0; i < 2; i++) {
      const page = await fetch(link);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain("alice@example.com");
      expect(html).toMatch(/<form method="post" action="\/api\/auth\/verify">/);
      expect(html).toContain(`value="${token}"`);
    }
    const signedIn = await confirm(server, token);
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get("location")).toBe("/dashboard");
    const cookies = signedIn.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    const { value, attributes } = parseCookie(cookies[0] ?? "");
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(attributes).toEqual(["Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${30 * 24 * 60 * 60}`]);
    expect(await server.storage.sessions.findSession(tokenHash(value))).toMatchObject({ accountId: alice.accountId, expiresAt: clock.now() + 30 * DAY });

    // Single use: the same link again, by form or JSON, signs nobody in.
    const again = await confirm(server, token);
    expect(again.status).toBe(401);
    expect(again.headers.getSetCookie()).toEqual([]);
    expect((await api(server, "POST", "/api/auth/verify", { body: { token } })).body).toMatchObject({ statusCode: 401, code: "CT_AUTH_FAILED", field: "token" });
    expect((await fetch(link)).status).toBe(410);
  });

  it("signs in with JSON too, answering the account and the CSRF token", async () => {
    const link = await loginLink(server, smtp, "bob@example.com");
    const res = await api(server, "POST", "/api/auth/verify", { body: { token: link.searchParams.get("token") } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, account_id: bob.accountId, email: "bob@example.com", csrf_token: expect.any(String) as unknown, redirect: "/dashboard" });
    expect(res.headers.getSetCookie()[0]).toMatch(/^clawtell_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=2592000$/);
  });

  it("refuses a sign-in posted from another site's page", async () => {
    const link = await loginLink(server, smtp, "alice@example.com");
    const token = link.searchParams.get("token") ?? "";
    const res = await confirm(server, token, { origin: "https://evil.example" });
    expect(res.status).toBe(403);
    // The link was not used up by the refused post.
    expect((await confirm(server, token)).status).toBe(303);
  });

  it("the session answers its account and names, authenticates calls for a name it chooses, and needs its CSRF token to change anything", async () => {
    const cookie = await signIn(server, smtp, "alice@example.com");
    const session = await withSession(server, cookie, "GET", "/api/auth/session");
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({
      account: { id: alice.accountId, email: "alice@example.com" },
      names: [{ name: "alice", full_name: "tell/alice" }, { name: "alice-helper", full_name: "tell/alice-helper" }],
      expires_at: new Date(clock.now() + 30 * DAY).toISOString(),
    });
    const csrf = String(session.body["csrf_token"]);

    // A call for one name takes the name explicitly.
    const me = await withSession(server, cookie, "GET", "/api/me", { headers: { "x-clawtell-name": "alice-helper" } });
    expect(me.body).toMatchObject({ name: "alice-helper", email: "alice@example.com", names: ["alice", "alice-helper"] });
    expect((await withSession(server, cookie, "GET", "/api/me")).body).toMatchObject({ statusCode: 400, code: "CT_BAD_REQUEST", field: "x-clawtell-name" });
    expect((await withSession(server, cookie, "GET", "/api/me", { headers: { "x-clawtell-name": "bob" } })).body).toMatchObject({ statusCode: 403, field: "x-clawtell-name" });

    // Changing something: refused without the CSRF token or with a wrong one, done with it.
    const send = { to: "bob", body: "from the dashboard" };
    const asAlice = { "x-clawtell-name": "tell/alice" };
    expect((await withSession(server, cookie, "POST", "/api/messages/send", { body: send, headers: asAlice })).body).toMatchObject({ statusCode: 403, field: "x-csrf-token" });
    expect((await withSession(server, cookie, "POST", "/api/messages/send", { body: send, headers: { ...asAlice, "x-csrf-token": `${csrf.slice(1)}x` } })).status).toBe(403);
    expect((await withSession(server, cookie, "POST", "/api/messages/send", { body: send, headers: { ...asAlice, "x-csrf-token": csrf } })).status).toBe(200);
    expect((await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey })).body["messages"]).toMatchObject([{ from: "tell/alice", body: "from the dashboard" }]);

    // Another session has another CSRF token.
    const other = await signIn(server, smtp, "alice@example.com");
    expect((await withSession(server, other, "POST", "/api/messages/send", { body: send, headers: { ...asAlice, "x-csrf-token": csrf } })).status).toBe(403);

    // The session's own calls are not for API keys; an API key wins over a cookie sent with it.
    expect((await api(server, "GET", "/api/auth/session", { key: alice.apiKey })).body).toMatchObject({ statusCode: 403, code: "CT_FORBIDDEN" });
    expect((await api(server, "GET", "/api/me", { key: bob.apiKey, headers: { cookie: `clawtell_session=${cookie}` } })).body).toMatchObject({ name: "bob" });
  });

  it("logout needs the CSRF token, ends the session and clears the cookie", async () => {
    const cookie = await signIn(server, smtp, "alice@example.com");
    const csrf = String((await withSession(server, cookie, "GET", "/api/auth/session")).body["csrf_token"]);
    expect((await withSession(server, cookie, "POST", "/api/auth/logout")).status).toBe(403);
    const out = await withSession(server, cookie, "POST", "/api/auth/logout", { headers: { "x-csrf-token": csrf } });
    expect(out.status).toBe(200);
    expect(out.headers.getSetCookie()).toEqual(["clawtell_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"]);
    expect((await withSession(server, cookie, "GET", "/api/auth/session")).body).toMatchObject({ statusCode: 401, code: "CT_AUTH_FAILED" });
    expect((await withSession(server, cookie, "GET", "/api/me", { headers: { "x-clawtell-name": "alice" } })).status).toBe(401);
    expect((await api(server, "GET", "/api/auth/session", { headers: { cookie: "clawtell_session=made-up-value-of-enough-length-00" } })).status).toBe(401);
    expect((await api(server, "GET", "/api/auth/session")).status).toBe(401);
  });

  it("records the link sent, the sign-in and the sign-out in the audit log with the caller's address", async () => {
    const cookie = await signIn(server, smtp, "bob@example.com");
    const csrf = String((await withSession(server, cookie, "GET", "/api/auth/session")).body["csrf_token"]);
    await withSession(server, cookie, "POST", "/api/auth/logout", { headers: { "x-csrf-token": csrf } });
    const entries = (await server.storage.directory.listAudit({ limit: 50 })).filter((e) => e.actor === "bob@example.com");
    expect(entries.slice(0, 3).map((e) => e.action)).toEqual(["logout", "login", "login.link_sent"]);
    for (const entry of entries.slice(0, 3)) expect(entry).toMatchObject({ ip: "127.0.0.1", name: null, detail: `account ${bob.accountId}` });
  });

  it("a link works for 15 minutes; a session for 30 days; ended ones are deleted by the periodic clean-up", async () => {
    const stale = await loginLink(server, smtp, "alice@example.com");
    const unused = await loginLink(server, smtp, "alice@example.com");
    const fresh = await loginLink(server, smtp, "alice@example.com");
    await clock.advance(15 * MINUTE - 1);
    const cookie = parseCookie((await confirm(server, fresh.searchParams.get("token") ?? "")).headers.getSetCookie()[0] ?? "").value;
    const signedInAt = clock.now();
    await clock.advance(1);
    expect((await confirm(server, stale.searchParams.get("token") ?? "")).status).toBe(401);
    expect((await fetch(stale)).status).toBe(410);

    // An expired link nobody used is still stored until the clean-up, which runs every minute of the server's clock
    // (each look below moves the clock on by a minute, in case a clean-up was under way when it passed the last one).
    const unusedHash = tokenHash(unused.searchParams.get("token") ?? "");
    expect(await server.storage.sessions.findLoginToken(unusedHash)).toBeDefined();
    await expect.poll(async () => (await clock.advance(60_000), server.storage.sessions.findLoginToken(unusedHash))).toBeUndefined();

    await clock.set(signedInAt + 30 * DAY - 1);
    expect((await withSession(server, cookie, "GET", "/api/auth/session")).status).toBe(200);
    await clock.advance(1);
    expect((await withSession(server, cookie, "GET", "/api/auth/session")).status).toBe(401);
    expect(await server.storage.sessions.findSession(tokenHash(cookie))).toBeDefined();
    await expect.poll(async () => (await clock.advance(60_000), server.storage.sessions.findSession(tokenHash(cookie)))).toBeUndefined();
  });
});

describe("dashboard sessions behind a TLS proxy", () => {
  let smtp: SmtpPeer;
  let server: TestServer;
  beforeAll(async () => {
    smtp = await startSmtpPeer();
    server = await startTestServer({ trustProxy: "127.0.0.1", signup: { smtpUrl: smtp.url, publicUrl: "https://tell.example.test" } });
    await server.createName("carol", "carol@example.com");
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  it("links point at the public URL; the cookie is Secure when the proxy says the request came over https", async () => {
    expect((await api(server, "POST", "/api/auth/magic-link", { body: { email: "carol@example.com" } })).status).toBe(200);
    const link = smtp.linkIn(await smtp.takeMail({ to: "carol@example.com" }), "/api/auth/verify");
    expect(link.origin).toBe("https://tell.example.test");
    const res = await confirm(server, link.searchParams.get("token") ?? "", { "x-forwarded-proto": "https", origin: "https://tell.example.test" });
    expect(res.status).toBe(303);
    expect(res.headers.getSetCookie()[0]).toMatch(/; Secure$/);
  });
});
