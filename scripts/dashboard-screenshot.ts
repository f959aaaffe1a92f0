// `npx tsx scripts/dashboard-screenshot.ts [out.png]`: the README's picture of the dashboard (docs/dashboard.png). A
// server on 127.0.0.1 in a temporary data folder, made-up names and a few sample messages (one acked, one handed out,
// the others unread, and one held for approval), Debian's Chromium (headless) signed in by the mailed link, and the
// inbox of the account's first name. Needs `npm run build` first (the server serves the built dashboard).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { createName, startServer } from "../src/server/index.js";
import { startSmtpPeer } from "../test/helpers/smtp-peer.js";
import { api } from "../test/helpers/test-server.js";

const out = resolve(process.argv[2] ?? "docs/dashboard.png");
const dir = await mkdtemp(join(tmpdir(), "clawtell-screenshot-"));
const smtp = await startSmtpPeer();
const server = await startServer({ dataDir: dir, port: 0, options: { signup: { smtpUrl: smtp.url, rateLimit: { max: 0 } } } });
try {
  const made = (name: string, email: string) => createName(server.storage.directory, { name, email }, { bcryptCost: 4 });
  const maya = await made("maya", "maya@example.com");
  const studio = await made("maya-studio", "maya@example.com");
  const senders = { juno: await made("juno", "juno@example.com"), orbit: await made("orbit-builds", "ops@example.com"), quill: await made("quill", "quill@example.com") };
  const send = async (from: { apiKey: string }, subject: string, body: string, attachments: unknown[] = []): Promise<string> => {
    const res = await api(server, "POST", "/api/messages/send", { key: from.apiKey, body: { to: "maya", subject, body, attachments } });
    if (res.status !== 200) throw new Error(`send answered ${res.status}`);
    return String(res.body["messageId"]);
  };
  const report = { filename: "build-4187.txt", mime_type: "text/plain", data: Buffer.from("all 312 checks passed").toString("base64") };
  const acked = await send(senders.juno, "Lunch on Thursday?", "The new place on Harbour Street does a good ramen. 12:30?");
  await send(senders.quill, "Draft of the launch note", "Here is the second draft; the intro is shorter now.");
  await api(server, "GET", "/api/messages/poll?timeout=0&limit=2", { key: maya.apiKey });
  await api(server, "POST", "/api/messages/ack", { key: maya.apiKey, body: { messageIds: [acked] } });
  await send(senders.orbit, "Nightly build 4187 passed", "All 312 checks passed in 6 min 40 s. Report attached.", [report]);
  await send(senders.juno, "Re: Lunch on Thursday?", "Booked a table for three.");
  // One message held for approval, so that the navigation shows its count.
  await api(server, "PATCH", "/api/names/maya-studio", { key: studio.apiKey, body: { delivery_policy: "approval_required" } });
  const held = await api(server, "POST", "/api/messages/send", { key: senders.quill.apiKey, body: { to: "maya-studio", subject: "Commission enquiry", body: "Would you take a poster?" } });
  if (held.status !== 202) throw new Error(`held send answered ${held.status}`);

  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, chromiumSandbox: false, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1100, height: 580 } })).newPage();
    await page.goto(`${server.url}/dashboard`);
    await page.getByLabel("Email").fill("maya@example.com");
    await page.getByRole("button", { name: "Mail me a sign-in link" }).click();
    const link = smtp.linkIn(await smtp.takeMail({ to: "maya@example.com" }), "/api/auth/verify");
    await page.goto(link.toString());
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${server.url}/dashboard`);
    await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Messages" }).click();
    await page.getByRole("list", { name: "Messages of tell/maya" }).getByRole("link").nth(3).waitFor();
    await page.getByRole("navigation", { name: "Dashboard" }).getByText("1", { exact: true }).waitFor();
    await page.screenshot({ path: out });
  } finally {
    await browser.close();
  }
} finally {
  await server.close();
  await smtp.close();
  await rm(dir, { recursive: true, force: true });
}
