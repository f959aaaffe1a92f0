// The dashboard in a real browser (Debian's Chromium driven by playwright-core, headless) against a real server on
// 127.0.0.1 with a loopback SMTP peer: sign in through the mailed link, change a name's mode and see the next
// message's autoReplyEligible change over the API, add and remove list entries (a bad name and a bad webhook URL show
// their errors beside their fields), rotate a key and see the old one refused, approve a held message and see it
// delivered, see a new message appear without a reload with its state, open its attachment, send a webhook test event
// to a loopback receiver (the private-address guard opened for it) and see its outcome beside the field, see the
// outbox with a delivered and a blocked receipt, the activity's dead ends, sign out. Each main page is checked with
// axe-core (no serious or critical violation) and saved as a screenshot under test-output/dashboard/ for review.
// Without /usr/bin/chromium the file is skipped, saying why.
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedName } from "../../../src/server/index.js";
import { startSmtpPeer, type SmtpPeer } from "../../helpers/smtp-peer.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";
import { startWebhookRecorder, type WebhookRecorder } from "../../helpers/webhook-recorder.js";

const CHROMIUM = "/usr/bin/chromium";
const OUTPUT = resolve(import.meta.dirname, "../../../test-output/dashboard");
const available = existsSync(CHROMIUM);
if (!available) process.stderr.write(`dashboard browser test: skipped, ${CHROMIUM} is missing (apt-get install chromium)\n`);

const axeSource = await readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical violations of the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the debugging protocol, which the page's Content-Security-Policy does not govern.
  await page.evaluate(axeSource);
  // A string, run in the page: this file is type-checked without the DOM's types.
  const violations = (await page.evaluate("axe.run(document).then((result) => result.violations)")) as AxeViolation[];
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

async function review(page: Page, file: string): Promise<void> {
  expect(await seriousViolations(page)).toEqual([]);
  await page.screenshot({ path: join(OUTPUT, file), fullPage: true });
}

describe.skipIf(!available)("the dashboard in a browser", () => {
  let smtp: SmtpPeer;
  let server: TestServer;
  let recorder: WebhookRecorder;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let alice: CreatedName;
  let bob: CreatedName;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    await mkdir(OUTPUT, { recursive: true });
    smtp = await startSmtpPeer();
    recorder = await startWebhookRecorder();
    // The webhook receiver is on loopback: the private-address guard is opened for it, as the webhook tests do.
    server = await startTestServer({ signup: { smtpUrl: smtp.url, rateLimit: { max: 0 } }, keepaliveMs: 1_000, allowPrivateWebhooks: true });
    alice = await server.createName("alice", "alice@example.com");
    await server.createName("alice-desk", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      chromiumSandbox: false,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    page = await context.newPage();
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    page.on("dialog", (dialog) => void dialog.accept());
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await recorder?.close();
    await smtp?.close();
  });

  const send = (key: string, to: string, subject: string, extra: Record<string, unknown> = {}) =>
    api(server, "POST", "/api/messages/send", { key, body: { to, subject, body: `${subject}: body`, ...extra } });
  const inboxOf = async (key: string) => (await api(server, "GET", "/api/messages/inbox?limit=50", { key })).body["messages"] as Array<Record<string, unknown>>;

  it("signs in through the link mailed to the account's email and lists the account's names", async () => {
    await page.goto(`${server.url}/dashboard`);
    await page.getByLabel("Email").fill("alice@example.com");
    await review(page, "sign-in.png");
    await page.getByRole("button", { name: "Mail me a sign-in link" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toContain("sign-in link is on its way");
    const link = smtp.linkIn(await smtp.takeMail({ to: "alice@example.com" }), "/api/auth/verify");
    await page.goto(link.toString());
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${server.url}/dashboard`);
    await expect.poll(() => page.getByRole("heading", { level: 2 }).first().textContent()).toBe("tell/alice");
    const names = page.getByRole("navigation", { name: "The account's names" });
    expect(await names.getByRole("link").allTextContents()).toEqual(["tell/alice", "tell/alice-desk"]);
    await review(page, "names.png");
  });

  it("changes the communication mode, and the next message's autoReplyEligible follows it", async () => {
    expect((await send(bob.apiKey, "alice", "before")).status).toBe(200);
    await page.getByRole("radio", { name: /^Anyone/ }).check();
    await page.getByRole("button", { name: "Save mode and policy" }).click();
    await expect.poll(() => page.getByRole("form", { name: "Mode and delivery" }).getByRole("status").textContent()).toBe("Saved.");
    expect((await send(bob.apiKey, "alice", "after")).status).toBe(200);
    const bySubject = new Map((await inboxOf(alice.apiKey)).map((m) => [m["subject"], m["autoReplyEligible"]]));
    expect(bySubject.get("before")).toBe(false);
    expect(bySubject.get("after")).toBe(true);
  });

  it("adds and removes list entries, and shows a refused entry's error beside its field", async () => {
    const blocklist = page.getByRole("form", { name: "Add to the delivery blocklist" });
    await blocklist.getByLabel("Name to add").fill("tell/x");
    await blocklist.getByRole("button", { name: "Add" }).click();
    await expect.poll(() => blocklist.getByRole("alert").textContent()).toMatch(/at least/);
    await blocklist.getByLabel("Name to add").fill("tell/bob");
    await blocklist.getByRole("button", { name: "Add" }).click();
    await expect.poll(async () => (await api(server, "GET", "/api/delivery/blocklist", { key: alice.apiKey })).body["blocklist"]).toMatchObject([{ name: "bob" }]);
    await page.getByRole("button", { name: "Remove tell/bob from the delivery blocklist" }).click();
    await expect.poll(async () => (await api(server, "GET", "/api/delivery/blocklist", { key: alice.apiKey })).body["blocklist"]).toEqual([]);

    const webhook = page.getByRole("form", { name: "Webhook" });
    await webhook.getByLabel("Webhook URL").fill("ftp://example.com/hook");
    await webhook.getByRole("button", { name: "Save webhook" }).click();
    // The server's error, shown beside the field it names and announced for that field.
    await expect.poll(() => page.locator("#webhook-url-error").textContent()).toMatch(/http or https/);
    expect(await webhook.getByLabel("Webhook URL").getAttribute("aria-describedby")).toBe("webhook-url-error");
  });

  it("sends a signed test event to the saved webhook and shows its outcome beside the field", async () => {
    const webhook = page.getByRole("form", { name: "Webhook" });
    await webhook.getByLabel("Webhook URL").fill(recorder.url);
    await webhook.getByLabel("New signing secret").fill("a-webhook-secret-of-32-characters");
    await webhook.getByRole("button", { name: "Save webhook" }).click();
    await expect.poll(() => webhook.getByText("Webhook saved.").count()).toBe(1);
    await webhook.getByRole("button", { name: "Send a test event" }).click();
    const outcome = page.locator("#webhook-test-outcome");
    await expect.poll(() => outcome.textContent()).toBe("Test event delivered: the receiver answered HTTP 200.");
    expect(recorder.deliveries.map((d) => d.body["event"])).toEqual(["webhook.test"]);
    recorder.answers.push(500);
    await webhook.getByRole("button", { name: "Send a test event" }).click();
    await expect.poll(() => outcome.textContent()).toMatch(/^Test event not delivered: .*HTTP 500/);
    await review(page, "webhook-test.png");
    // Back to no webhook, so that the messages of the next steps are not posted to the receiver.
    await webhook.getByLabel("Webhook URL").fill("");
    await webhook.getByRole("button", { name: "Save webhook" }).click();
    await expect.poll(() => webhook.getByText("Webhook removed.").count()).toBe(1);
  });

  it("rotates the key, shows the new one once, and the old key is refused", async () => {
    const oldKey = alice.apiKey;
    await page.getByRole("button", { name: "Rotate key" }).click();
    const shown = page.locator("#new-key");
    await expect.poll(() => shown.textContent()).toMatch(/^claw_/);
    const newKey = (await shown.textContent()) ?? "";
    expect((await api(server, "GET", "/api/me", { key: oldKey })).status).toBe(401);
    expect((await api(server, "GET", "/api/me", { key: newKey })).status).toBe(200);
    alice = { ...alice, apiKey: newKey };
    await page.screenshot({ path: join(OUTPUT, "key-rotated.png"), fullPage: true });
  });

  it("approves a held message, counted in the navigation, and it is delivered", async () => {
    expect((await api(server, "PATCH", "/api/names/alice", { key: alice.apiKey, body: { delivery_policy: "approval_required" } })).status).toBe(200);
    expect((await send(bob.apiKey, "alice", "please let me in")).status).toBe(202);
    await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: /Approvals/ }).click();
    await expect.poll(() => page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: /Approvals/ }).textContent()).toBe("Approvals1");
    await review(page, "approvals.png");
    await page.getByRole("button", { name: "Approve “please let me in” from tell/bob" }).click();
    await expect.poll(() => page.getByText("Nothing waits for your approval.").count()).toBe(1);
    expect((await inboxOf(alice.apiKey)).map((m) => m["subject"])).toContain("please let me in");
    expect(await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: /Approvals/ }).textContent()).toBe("Approvals");
  });

  it("shows a new message as it arrives, without taking it from the agent, and opens its attachment", async () => {
    await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Messages" }).click();
    const list = page.getByRole("list", { name: "Messages of tell/alice" });
    await expect.poll(() => list.getByRole("link").count()).toBe(3);
    const attachment = { filename: "notes.txt", mime_type: "text/plain", data: Buffer.from("the notes").toString("base64") };
    // bob is on no list now and the policy holds strangers: put him on the delivery allowlist first.
    expect((await api(server, "POST", "/api/delivery/allowlist", { key: alice.apiKey, body: { name: "bob" } })).status).toBe(200);
    expect((await send(bob.apiKey, "alice", "live one", { attachments: [attachment] })).status).toBe(200);
    await expect.poll(() => list.getByRole("link").count()).toBe(4);
    // Nothing handed the new message out yet: it is unread.
    expect(await list.getByRole("link", { name: /live one/ }).textContent()).toContain("unread");
    await review(page, "inbox.png");
    // The page only looked: the agent's poll still gets the message.
    const polled = await api(server, "GET", "/api/messages/poll?timeout=0", { key: alice.apiKey });
    expect((polled.body["messages"] as Array<{ subject: string }>).map((m) => m.subject)).toContain("live one");

    await list.getByRole("link", { name: /live one/ }).click();
    await expect.poll(() => page.getByRole("heading", { name: "live one" }).count()).toBe(1);
    // The agent's poll handed it out: the detail, read again on opening, says so.
    await expect.poll(() => page.locator("dl.meta").textContent()).toContain("delivered");
    await review(page, "message.png");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download notes.txt" }).click()]);
    expect(download.suggestedFilename()).toBe("notes.txt");
    expect((await readFile((await download.path()) ?? "")).toString()).toBe("the notes");
  });

  it("lists the outbox with each sent message's receipt, a blocked send among them", async () => {
    expect((await send(alice.apiKey, "bob", "hello bob")).status).toBe(200);
    expect((await api(server, "GET", "/api/messages/poll?timeout=0", { key: bob.apiKey })).status).toBe(200);
    expect((await api(server, "PATCH", "/api/names/bob", { key: bob.apiKey, body: { delivery_policy: "allowlist_only" } })).status).toBe(200);
    expect((await send(alice.apiKey, "bob", "refused one")).status).toBe(403);
    expect((await api(server, "PATCH", "/api/names/bob", { key: bob.apiKey, body: { delivery_policy: "everyone" } })).status).toBe(200);

    await page.getByRole("navigation", { name: "Inbox or outbox" }).getByRole("link", { name: "Outbox" }).click();
    const sent = page.getByRole("list", { name: "Sent by tell/alice" });
    await expect.poll(() => sent.getByRole("listitem").count()).toBe(2);
    const [blocked, delivered] = await sent.getByRole("listitem").allTextContents();
    expect(blocked).toContain("blocked");
    expect(blocked).toContain("(not stored)");
    expect(delivered).toContain("hello bob");
    expect(delivered).toContain("accepted → delivered");
    await review(page, "outbox.png");
  });

  it("shows activity and the account's audit log, on a phone screen and in dark mode too", async () => {
    await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Activity" }).click();
    const audit = page.getByRole("region", { name: "Audit log entries" });
    await expect.poll(() => audit.getByRole("row").allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining("key.rotated")]));
    expect(await page.getByRole("img", { name: /tell\/alice: \d+ messages/ }).count()).toBe(1);
    // The dead ends at a glance: alice's refused send.
    const deadEnds = page.getByRole("region", { name: "Dead ends" });
    await expect.poll(() => deadEnds.getByRole("listitem").allTextContents()).toEqual(["tell/alice1 blocked0 expired"]);
    await review(page, "activity.png");

    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${server.url}/dashboard#/names/alice`);
    await expect.poll(() => page.getByRole("heading", { name: "tell/alice" }).count()).toBe(1);
    await review(page, "names-phone-dark.png");
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1100, height: 800 });
  });

  it("is usable from the keyboard: the skip link and the navigation are reached with Tab", async () => {
    await page.goto(`${server.url}/dashboard#/names/alice`);
    await page.reload();
    await expect.poll(() => page.getByRole("heading", { name: "tell/alice" }).count()).toBe(1);
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.textContent")).toBe("Skip to the page");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.url()).toMatch(/#\/messages\/alice\/inbox$/);
  });

  it("signs out, and the page loaded without a Content-Security-Policy violation", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect.poll(() => page.getByRole("heading", { name: "Sign in to ClawTell" }).count()).toBe(1);
    expect((await api(server, "GET", "/api/auth/session", { headers: { cookie: (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ") } })).status).toBe(401);
    expect(cspViolations).toEqual([]);
  });
});
