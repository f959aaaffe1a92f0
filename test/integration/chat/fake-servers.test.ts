// The fake Telegram and Discord servers answer like the real APIs do (other tests and the e2e gateway rely on it).
import { afterEach, describe, expect, it } from "vitest";
import { startFakeDiscord, type FakeDiscord } from "../../helpers/fake-discord.js";
import { startFakeTelegram, type FakeTelegram } from "../../helpers/fake-telegram.js";

const postJson = async (url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> => {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, headers: res.headers };
};

describe("fake Telegram Bot API", () => {
  let tg: FakeTelegram;
  afterEach(async () => tg.close());

  it("answers getMe for its token and 401 Unauthorized for any other", async () => {
    tg = await startFakeTelegram({ tokens: ["42:abc"] });
    expect((await postJson(`${tg.apiRoot}/bot42:abc/getMe`, {})).json).toMatchObject({ ok: true, result: { id: 42, is_bot: true } });
    expect(await postJson(`${tg.apiRoot}/bot42:nope/getMe`, {})).toMatchObject({ status: 401, json: { ok: false, error_code: 401, description: "Unauthorized" } });
  });

  it("accepts sendMessage as JSON, urlencoded and multipart, and records each", async () => {
    tg = await startFakeTelegram();
    const url = `${tg.apiRoot}/bot${tg.token}/sendMessage`;
    const json = await postJson(url, { chat_id: 4242, text: "one", message_thread_id: 7 });
    expect(json.json).toMatchObject({ ok: true, result: { chat: { id: 4242, type: "private" }, text: "one", message_thread_id: 7 } });
    await fetch(url, { method: "POST", body: new URLSearchParams({ chat_id: "4242", text: "two" }) });
    const form = new FormData();
    form.set("chat_id", "-100555");
    form.set("text", "three");
    await fetch(url, { method: "POST", body: form });
    expect(tg.sentMessages(4242).map((m) => [m.text, m.threadId])).toEqual([["one", 7], ["two", undefined]]);
    expect(tg.sentMessages("-100555").map((m) => m.text)).toEqual(["three"]);
    const ids = tg.sentMessages().map((m) => m.messageId);
    expect(new Set(ids).size).toBe(3);
    expect(tg.calls.map((c) => c.method)).toEqual(["sendMessage", "sendMessage", "sendMessage"]);
  });

  it("refuses what Telegram refuses: too long texts and unparsable Markdown", async () => {
    tg = await startFakeTelegram();
    const url = `${tg.apiRoot}/bot${tg.token}/sendMessage`;
    expect((await postJson(url, { chat_id: 1, text: "x".repeat(4097) })).json).toMatchObject({ error_code: 400, description: "Bad Request: message is too long" });
    expect((await postJson(url, { chat_id: 1, text: "🦞 *Delivery", parse_mode: "Markdown" })).json["description"]).toContain("can't parse entities");
    expect((await postJson(url, { chat_id: 1, text: "x".repeat(4096) })).status).toBe(200);
  });

  it("fails the next sends with 429 and retry_after, then recovers", async () => {
    tg = await startFakeTelegram();
    tg.failNext(1, { status: 429, retryAfterS: 3 });
    const url = `${tg.apiRoot}/bot${tg.token}/sendMessage`;
    expect(await postJson(url, { chat_id: 1, text: "a" })).toMatchObject({
      status: 429,
      json: { ok: false, error_code: 429, description: "Too Many Requests: retry after 3", parameters: { retry_after: 3 } },
    });
    expect((await postJson(url, { chat_id: 1, text: "a" })).status).toBe(200);
  });

  it("long-polls getUpdates until a user writes, and an offset confirms earlier updates", async () => {
    tg = await startFakeTelegram({ firstUpdateId: 900 });
    const url = `${tg.apiRoot}/bot${tg.token}/getUpdates`;
    const poll = postJson(url, { offset: 0, timeout: 5 });
    await tg.waitFor((calls) => calls.some((c) => c.method === "getUpdates"));
    tg.sendUserText(4242, "/start", { username: "human" });
    const first = await poll;
    expect(first.json).toMatchObject({
      ok: true,
      result: [{ update_id: 900, message: { chat: { id: 4242, type: "private" }, from: { id: 4242, is_bot: false }, text: "/start", entities: [{ type: "bot_command" }] } }],
    });
    tg.sendUserText(4242, "hello");
    const again = await postJson(url, { offset: 901, timeout: 0 });
    expect((again.json["result"] as Array<{ update_id: number }>).map((u) => u.update_id)).toEqual([901]);
    expect((await postJson(url, { offset: 902, timeout: 0 })).json["result"]).toEqual([]);
  });

  it("accepts and records other methods, and close() ends a pending long poll", async () => {
    tg = await startFakeTelegram();
    expect((await postJson(`${tg.apiRoot}/bot${tg.token}/setMyCommands`, { commands: [] })).json).toEqual({ ok: true, result: true });
    const poll = postJson(`${tg.apiRoot}/bot${tg.token}/getUpdates`, { timeout: 30 }).catch(() => "closed");
    await tg.waitFor((calls) => calls.some((c) => c.method === "getUpdates"));
    const started = Date.now();
    await tg.close();
    await poll;
    expect(Date.now() - started).toBeLessThan(15_000); // the poll would hold 30 s;
    expect(tg.calls.map((c) => c.method)).toEqual(["setMyCommands", "getUpdates"]);
    tg = await startFakeTelegram(); // for afterEach
  });
});

describe("fake Discord REST", () => {
  let dc: FakeDiscord;
  afterEach(async () => dc.close());

  it("creates messages for `Bot <token>` and answers 401 otherwise", async () => {
    dc = await startFakeDiscord({ tokens: ["tok"] });
    const created = await postJson(`${dc.apiRoot}/channels/998877/messages`, { content: "hi" }, { authorization: "Bot tok" });
    expect(created.json).toMatchObject({ channel_id: "998877", content: "hi", type: 0, author: { bot: true } });
    expect(typeof created.json["id"]).toBe("string");
    expect(await postJson(`${dc.apiRoot}/channels/998877/messages`, { content: "hi" }, { authorization: "Bot wrong" })).toMatchObject({
      status: 401,
      json: { message: "401: Unauthorized", code: 0 },
    });
    expect(dc.sentMessages("998877").map((m) => m.content)).toEqual(["hi"]);
  });

  it("rate-limits with a float retry_after and a Retry-After header, and refuses content over 2000", async () => {
    dc = await startFakeDiscord();
    dc.failNext(1, { retryAfterS: 1.5 });
    const limited = await postJson(`${dc.apiRoot}/channels/1/messages`, { content: "x" }, { authorization: `Bot ${dc.token}` });
    expect(limited.status).toBe(429);
    expect(limited.json).toEqual({ message: "You are being rate limited.", retry_after: 1.5, global: false });
    expect(limited.headers.get("retry-after")).toBe("2");
    const long = await postJson(`${dc.apiRoot}/channels/1/messages`, { content: "x".repeat(2001) }, { authorization: `Bot ${dc.token}` });
    expect(long.json).toMatchObject({ code: 50035, message: "Invalid Form Body" });
  });

  it("opens one DM channel per user", async () => {
    dc = await startFakeDiscord();
    const dm = await postJson(`${dc.apiRoot}/users/@me/channels`, { recipient_id: "555" }, { authorization: `Bot ${dc.token}` });
    expect(dm.json).toMatchObject({ id: dc.dmChannelOf("555"), type: 1 });
    await expect(dc.waitFor((calls) => calls.find((c) => c.path === "/users/@me/channels"))).resolves.toMatchObject({ body: { recipient_id: "555" } });
  });
});
