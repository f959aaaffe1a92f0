// Registration by email over real HTTP, with a real SMTP server on loopback as the mail peer: POST
// /api/names/register answers a poll token and mails a link; the link (GET, on this server's origin) verifies and
// answers a page; GET /api/register/status hands the API key out exactly once, and the key sends and polls. Also:
// one email = one account, unknown and expired tokens, closed and invite modes, the names-per-account limit, reserved
// and offensive names, the stricter per-address limit, a mail server that refuses, and the audit entries.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createManualClock } from "../../../src/infra/index.js";
import { createInvite } from "../../../src/server/index.js";
import { startSmtpPeer, type SmtpPeer } from "../../helpers/smtp-peer.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

const HOUR = 60 * 60 * 1000;

/** A registration's answer, as the agent reads it. */
async function register(server: TestServer, body: Record<string, unknown>) {
  return api(server, "POST", "/api/names/register", { body: { terms_accepted: true, pp_accepted: true, ...body } });
}

/** Opens a link as a browser would (a GET), answering the status and the page. */
async function open(link: URL | string): Promise<{ status: number; html: string; headers: Headers }> {
  const res = await fetch(link);
  return { status: res.status, html: await res.text(), headers: res.headers };
}

/** Registers `name` for `email`, opens the mailed link, and answers the key from the first poll. */
async function registerAndVerify(server: TestServer, smtp: SmtpPeer, name: string, email: string): Promise<string> {
  const registered = await register(server, { name, email });
  expect(registered.status, JSON.stringify(registered.body)).toBe(200);
  const mail = await smtp.takeMail({ to: email, subject: `Verify tell/${name}` });
  expect((await open(smtp.linkIn(mail, "/api/register/verify"))).status).toBe(200);
  const status = await api(server, "GET", `/api/register/status?token=${String(registered.body["poll_token"])}`);
  expect(status.body).toMatchObject({ status: "verified", api_key: expect.any(String) as unknown });
  return String(status.body["api_key"]);
}

describe("registration by email", () => {
  let smtp: SmtpPeer;
  let server: TestServer;

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    // No per-address limit on registrations here (0): this file's own tests ask for more than the default 10 an hour.
    server = await startTestServer({
      bcryptCost: 4,
      signup: { registration: "open", smtpUrl: smtp.url, mailFrom: "ClawTell <clawtell@example.test>", rateLimit: { max: 0 } },
    });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  it("mails a one-click link on this server's origin; the first poll after the click carries the key, later polls do not; the key sends and polls", async () => {
    const bob = await server.createName("bob", "bob@example.com");
    const registered = await register(server, { name: "tell/Alice", email: " Alice@Example.com " });
    expect(registered.status).toBe(200);
    expect(registered.body).toMatchObject({
      success: true,
      status: "pending",
      name: "alice",
      full_name: "tell/alice",
      poll_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) as unknown,
      poll_interval_seconds: 10,
      message: expect.stringContaining("A verification link was sent to Alice@Example.com.") as unknown,
    });
    const token = String(registered.body["poll_token"]);
    expect((await api(server, "GET", `/api/register/status?token=${token}`)).body).toMatchObject({ status: "pending", name: "alice" });
    // Nothing is reserved while pending.
    expect((await api(server, "GET", "/api/names/check?name=alice")).body).toMatchObject({ available: true });

    const mail = await smtp.takeMail({ to: "alice@example.com" });
    expect(mail.subject).toBe("Verify tell/alice");
    expect(mail.from).toContain("clawtell@example.test");
    const link = smtp.linkIn(mail, "/api/register/verify");
    expect(link.origin).toBe(server.url);
    // The poll token verifies nothing: only the mailed link does.
    expect(link.searchParams.get("token")).not.toBe(token);
    expect((await open(`${server.url}/api/register/verify?token=${token}`)).status).toBe(404);

    const page = await open(link);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.html).toContain("tell/alice");
    expect(page.html).not.toMatch(/<script/i);

    const first = await api(server, "GET", `/api/register/status?token=${token}`);
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toBe("no-store");
    expect(first.body).toMatchObject({ status: "verified", name: "alice", full_name: "tell/alice", api_key: expect.stringMatching(/^claw_[a-z0-9]+_\S+$/) as unknown });
    const apiKey = String(first.body["api_key"]);
    const again = await api(server, "GET", `/api/register/status?token=${token}`);
    expect(again.body).toMatchObject({ status: "verified", name: "alice" });
    expect(again.body["api_key"]).toBeUndefined();
    // Opening the link again changes nothing.
    expect((await open(link)).html).toContain("used already");

    const me = await api(server, "GET", "/api/me", { key: apiKey });
    expect(me.body).toMatchObject({ name: "alice", email: "alice@example.com" });
    const sent = await api(server, "POST", "/api/messages/send", { key: apiKey, body: { to: "bob", body: "hello from a registered name" } });
    expect(sent.status).toBe(200);
    expect((await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey })).body["messages"]).toMatchObject([{ from: "tell/alice" }]);
    await api(server, "POST", "/api/messages/send", { key: bob.apiKey, body: { to: "alice", body: "welcome" } });
    expect((await api(server, "GET", "/api/messages/poll?timeout=0", { key: apiKey })).body["messages"]).toMatchObject([{ from: "tell/bob", body: "welcome" }]);
    expect((await api(server, "GET", "/api/names/check?name=alice")).body).toMatchObject({ available: false });

    const audit = await server.storage.directory.listAudit({ name: "alice", limit: 10 });
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(["registration.requested", "registration.verified", "name.created"]));
    const requested = audit.find((e) => e.action === "registration.requested");
    expect(requested).toMatchObject({ actor: "alice@example.com", ip: "127.0.0.1" });
    expect(audit.find((e) => e.action === "registration.verified")).toMatchObject({ actor: "alice@example.com", ip: "127.0.0.1" });
  });

  it("adds a second name to the email's existing account through the same verification by that email", async () => {
    const first = await registerAndVerify(server, smtp, "carol", "carol@example.com");
    const second = await registerAndVerify(server, smtp, "carol-helper", "CAROL@example.com");
    const me = await api(server, "GET", "/api/me", { key: second });
    expect(me.body["names"]).toEqual(["carol", "carol-helper"]);
    expect(me.body["accountId"]).toBe((await api(server, "GET", "/api/me", { key: first })).body["accountId"]);
  });

  it("answers 400 naming the field for a missing or false acceptance, a bad email or a bad name; 409 for a taken name", async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ name: "dave", email: "dave@example.com", terms_accepted: undefined }, "terms_accepted", /terms of service/],
      [{ name: "dave", email: "dave@example.com", pp_accepted: false }, "pp_accepted", /privacy policy/],
      [{ name: "dave" }, "email", /required/],
      [{ name: "dave", email: "not-an-email" }, "email", /not an email address/],
      [{ email: "dave@example.com" }, "name", /required/],
      [{ name: "Dave Smith", email: "dave@example.com" }, "name", /lowercase letters/],
      [{ name: "admin", email: "dave@example.com" }, "name", /reserved/],
      [{ name: "support", email: "dave@example.com" }, "name", /reserved/],
      [{ name: "shit-bot", email: "dave@example.com" }, "name", /offensive/],
    ];
    for (const [body, field, text] of cases) {
      const res = await register(server, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ code: "CT_BAD_REQUEST", field });
      expect(String(res.body["error"])).toMatch(text);
    }
    await server.createName("taken", "someone@example.com");
    expect((await register(server, { name: "taken", email: "dave@example.com" })).body).toMatchObject({ statusCode: 409, code: "CT_CONFLICT", field: "name" });
  });

  it("tells availability with the reason: reserved and offensive names are not available", async () => {
    expect((await api(server, "GET", "/api/names/check?name=root")).body).toEqual({ name: "root", available: false, reason: "reserved" });
    expect((await api(server, "GET", "/api/names/check?name=fuck")).body).toEqual({ name: "fuck", available: false, reason: "offensive" });
    expect((await api(server, "GET", "/api/names/check?name=my-nazi-bot")).body).toMatchObject({ available: false, reason: "offensive" });
    // A term inside a longer word is not matched.
    expect((await api(server, "GET", "/api/names/check?name=scunthorpe")).body).toMatchObject({ available: true });
    expect((await api(server, "GET", "/api/pricing?name=shit")).body).toMatchObject({ available: false });
  });

  it("answers 404 for a poll token no registration has, and 404 pages for unknown links", async () => {
    const unknown = await api(server, "GET", "/api/register/status?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    expect(unknown).toMatchObject({ status: 404, body: { code: "CT_NOT_FOUND", field: "token" } });
    expect((await api(server, "GET", "/api/register/status?token=x")).status).toBe(404);
    expect((await api(server, "GET", "/api/register/status")).body).toMatchObject({ statusCode: 400, field: "token" });
    expect((await open(`${server.url}/api/register/verify?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`)).status).toBe(404);
  });

  it("of two registrations of one name, the first verified gets it; the other reads failed", async () => {
    const one = await register(server, { name: "erin", email: "erin@example.com" });
    const two = await register(server, { name: "erin", email: "other-erin@example.com" });
    const mailTwo = await smtp.takeMail({ to: "other-erin@example.com" });
    const mailOne = await smtp.takeMail({ to: "erin@example.com" });
    expect((await open(smtp.linkIn(mailTwo, "/api/register/verify"))).status).toBe(200);
    const late = await open(smtp.linkIn(mailOne, "/api/register/verify"));
    expect(late.status).toBe(409);
    expect(late.html).toContain("registered by someone else first");
    expect((await api(server, "GET", `/api/register/status?token=${String(one.body["poll_token"])}`)).body).toMatchObject({
      status: "failed",
      name: "erin",
      error: expect.stringContaining("someone else") as unknown,
    });
    expect((await api(server, "GET", `/api/register/status?token=${String(two.body["poll_token"])}`)).body).toMatchObject({ status: "verified" });
  });

  it("answers 503 when the mail server refuses the message", async () => {
    smtp.refuseNext(1);
    const res = await register(server, { name: "frank", email: "frank@example.com" });
    expect(res).toMatchObject({ status: 503, body: { code: "CT_UNAVAILABLE" } });
  });
});

describe("registration that expires", () => {
  const clock = createManualClock(Date.parse("2026-06-01T00:00:00Z"));
  let smtp: SmtpPeer;
  let server: TestServer;

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    server = await startTestServer({ clock, bcryptCost: 4, signup: { registration: "open", smtpUrl: smtp.url } });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  it("reads expired after 24 hours; its link then verifies nothing; the name stays free", async () => {
    const registered = await register(server, { name: "gina", email: "gina@example.com" });
    const mail = await smtp.takeMail({ to: "gina@example.com" });
    expect(registered.body["expires_at"]).toBe("2026-06-02T00:00:00.000Z");
    await clock.advance(24 * HOUR - 1);
    expect((await api(server, "GET", `/api/register/status?token=${String(registered.body["poll_token"])}`)).body).toMatchObject({ status: "pending" });
    await clock.advance(1);
    expect((await api(server, "GET", `/api/register/status?token=${String(registered.body["poll_token"])}`)).body).toMatchObject({ status: "expired", name: "gina" });
    const page = await open(smtp.linkIn(mail, "/api/register/verify"));
    expect(page.status).toBe(410);
    expect((await api(server, "GET", "/api/names/check?name=gina")).body).toMatchObject({ available: true });
    expect(await server.storage.registrations.listPendingRegistrations(clock.now())).toEqual([]);
    // A week after the link expired, the clean-up (every 10 minutes of the server's clock) deletes the registration:
    // its token is then unknown. Each look moves the clock on by one interval, in case a clean-up was under way when
    // the clock passed the last one.
    await clock.advance(7 * 24 * HOUR);
    await expect
      .poll(async () => {
        await clock.advance(600_000);
        return (await api(server, "GET", `/api/register/status?token=${String(registered.body["poll_token"])}`)).status;
      })
      .toBe(404);
  });
});

describe("registration modes and limits", () => {
  let smtp: SmtpPeer;
  let server: TestServer | undefined;
  beforeAll(async () => {
    smtp = await startSmtpPeer();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(async () => smtp?.close());

  it("closed: 403 CT_REGISTRATION_CLOSED whatever the body; the operator still creates names", async () => {
    server = await startTestServer({ signup: { registration: "closed", smtpUrl: smtp.url } });
    for (const body of [{ name: "hank", email: "hank@example.com" }, {}]) {
      const res = await api(server, "POST", "/api/names/register", { body });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: "CT_REGISTRATION_CLOSED", error: expect.stringMatching(/closed/) as unknown });
    }
    expect((await server.createName("hank", "hank@example.com")).name).toBe("hank");
  });

  it("invite: needs a code made by the operator, good for its number of uses", async () => {
    server = await startTestServer({ bcryptCost: 4, signup: { registration: "invite", smtpUrl: smtp.url } });
    expect((await register(server, { name: "ivan", email: "ivan@example.com" })).body).toMatchObject({ statusCode: 400, field: "invite", error: expect.stringMatching(/invit/) as unknown });
    expect((await register(server, { name: "ivan", email: "ivan@example.com", invite: "inv_made-up" })).body).toMatchObject({ statusCode: 403, code: "CT_FORBIDDEN", field: "invite" });
    const invite = await createInvite(server.storage, { uses: 2 });
    expect((await register(server, { name: "ivan", email: "ivan@example.com", invite: invite.code })).status).toBe(200);
    expect((await register(server, { name: "ivan-two", email: "ivan@example.com", invite: invite.code })).status).toBe(200);
    expect((await register(server, { name: "ivan-three", email: "ivan@example.com", invite: invite.code })).body).toMatchObject({ statusCode: 403, field: "invite" });
    const mail = await smtp.takeMail({ to: "ivan@example.com", subject: "Verify tell/ivan" });
    expect((await open(smtp.linkIn(mail, "/api/register/verify"))).status).toBe(200);
  });

  it("names per account: verification past the limit makes no name and says why; other emails are not held back", async () => {
    server = await startTestServer({ bcryptCost: 4, signup: { registration: "open", smtpUrl: smtp.url, maxNamesPerAccount: 2 } });
    await server.createName("judy", "judy@example.com");
    await registerAndVerify(server, smtp, "judy-two", "judy@example.com");
    const third = await register(server, { name: "judy-three", email: "judy@example.com" });
    // The request answers as for any email: the limit is told to the email's owner.
    expect(third.status).toBe(200);
    const page = await open(smtp.linkIn(await smtp.takeMail({ to: "judy@example.com", subject: "Verify tell/judy-three" }), "/api/register/verify"));
    expect(page.status).toBe(409);
    expect(page.html).toContain("the most this server allows per account (2)");
    expect((await api(server, "GET", `/api/register/status?token=${String(third.body["poll_token"])}`)).body).toMatchObject({
      status: "failed",
      error: expect.stringContaining("has 2 names") as unknown,
    });
    expect((await api(server, "GET", "/api/names/check?name=judy-three")).body).toMatchObject({ available: true });
    await registerAndVerify(server, smtp, "kim", "kim@example.com");
  });

  it("names per account: verifications clicked at once never take an account past the limit", async () => {
    server = await startTestServer({ bcryptCost: 4, signup: { registration: "open", smtpUrl: smtp.url, maxNamesPerAccount: 2, rateLimit: { max: 0 } } });
    await server.createName("quinn", "quinn@example.com");
    const names = ["quinn-a", "quinn-b", "quinn-c", "quinn-d", "quinn-e", "quinn-f"];
    const links: URL[] = [];
    for (const name of names) {
      expect((await register(server, { name, email: "quinn@example.com" })).status).toBe(200);
      links.push(smtp.linkIn(await smtp.takeMail({ to: "quinn@example.com", subject: `Verify tell/${name}` }), "/api/register/verify"));
    }
    const pages = await Promise.all(links.map((link) => open(link)));
    expect(pages.map((p) => p.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    for (const page of pages.filter((p) => p.status === 409)) expect(page.html).toContain("the most this server allows per account (2)");
    const account = await server.storage.directory.findAccountByEmail("quinn@example.com");
    expect((await server.storage.directory.listNamesOfAccount(account?.id ?? "")).length).toBe(2);
  });

  it("limits registrations and sign-in links per caller address, together: 429 with an integer Retry-After", async () => {
    server = await startTestServer({ signup: { registration: "open", smtpUrl: smtp.url, rateLimit: { max: 2, windowMs: 60 * 60 * 1000 } } });
    expect((await register(server, { name: "lee", email: "lee@example.com" })).status).toBe(200);
    expect((await api(server, "POST", "/api/auth/magic-link", { body: { email: "lee@example.com" } })).status).toBe(200);
    const refused = await register(server, { name: "lee-two", email: "lee@example.com" });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(3600);
    expect(refused.body).toMatchObject({ code: "CT_RATE_LIMITED", retry_after: Number(refused.headers.get("retry-after")) });
    expect((await api(server, "POST", "/api/auth/magic-link", { body: { email: "lee@example.com" } })).status).toBe(429);
    // Polling is not held back by it.
    expect((await api(server, "GET", "/api/register/status?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).status).toBe(404);
  });
});
