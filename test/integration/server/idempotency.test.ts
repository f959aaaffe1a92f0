// Idempotency-Key on send over real HTTP, on the backend the suite runs on: replay, reuse with another request,
// concurrent duplicates, a restart, the 24-hour window, and refused sends.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManualClock } from "../../../src/infra/index.js";
import type { CreatedName } from "../../../src/server/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

const START = Math.ceil(Date.now() / 1000) * 1000 + 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;

describe("Idempotency-Key on send", () => {
  const clock = createManualClock(START);
  let server: TestServer;
  let alice: CreatedName;
  let bob: CreatedName;

  beforeEach(async () => {
    await clock.set(START);
    server = await startTestServer({ clock });
    alice = await server.createName("alice", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
  });
  afterEach(async () => server.close());

  const send = (body: Record<string, unknown>, key: string | undefined, from = alice) =>
    api(server, "POST", "/api/messages/send", { key: from.apiKey, body, ...(key === undefined ? {} : { headers: { "idempotency-key": key } }) });
  /** Every message waiting for bob, by id. */
  const inbox = async (): Promise<string[]> => {
    const res = await api(server, "GET", "/api/messages/inbox?limit=100", { key: bob.apiKey });
    return (res.body["messages"] as Array<{ id: string }>).map((m) => m.id);
  };

  it("answers a repeat with the first answer, byte for byte, and stores one message", async () => {
    const first = await send({ to: "bob", body: "once", subject: "Hi" }, "order-1");
    expect(first.status).toBe(200);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    await clock.advance(HOUR);
    // Fields in another order are the same request.
    const again = await send({ subject: "Hi", body: "once", to: "bob" }, "order-1");
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await inbox()).toEqual([first.body["messageId"]]);
  });

  it("refuses the key with another request: 409 CT_IDEMPOTENCY_KEY_REUSED, and stores nothing", async () => {
    const first = await send({ to: "bob", body: "original" }, "k-1");
    const other = await send({ to: "bob", body: "something else" }, "k-1");
    expect(other.status).toBe(409);
    expect(other.body).toEqual({
      statusCode: 409,
      code: "CT_IDEMPOTENCY_KEY_REUSED",
      error: "Idempotency-Key was used for a different request in the last 24 hours",
      field: "idempotency-key",
    });
    // The same body from another name of the account is another request too.
    const alice2 = await server.createName("alice-two", "alice@example.com");
    expect((await send({ to: "bob", body: "original" }, "k-1", alice2)).status).toBe(409);
    expect(await inbox()).toEqual([first.body["messageId"]]);
  });

  it("keeps keys per account: another account's same key is its own", async () => {
    const carol = await server.createName("carol", "carol@example.com");
    const a = await send({ to: "bob", body: "same" }, "shared-key");
    const c = await send({ to: "bob", body: "same" }, "shared-key", carol);
    expect(c.status).toBe(200);
    expect(c.body["messageId"]).not.toBe(a.body["messageId"]);
    expect((await inbox()).sort()).toEqual([a.body["messageId"], c.body["messageId"]].sort());
  });

  it("stores one message for concurrent duplicates, and answers them all the same", async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => send({ to: "bob", body: "at once" }, "race")));
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 12 }, () => 200));
    expect(new Set(answers.map((a) => a.body["messageId"])).size).toBe(1);
    expect(answers.filter((a) => a.headers.get("idempotent-replayed") === "true")).toHaveLength(11);
    expect(await inbox()).toEqual([answers[0]?.body["messageId"]]);
  });

  it("keeps the key across a restart", async () => {
    const first = await send({ to: "bob", body: "before the restart" }, "restart-key");
    await server.restart();
    const again = await send({ to: "bob", body: "before the restart" }, "restart-key");
    expect(again.body).toEqual(first.body);
    expect(await inbox()).toEqual([first.body["messageId"]]);
  });

  it("honours a key for 24 hours; after that it names a new send", async () => {
    const first = await send({ to: "bob", body: "daily" }, "daily");
    await clock.advance(24 * HOUR - 1);
    expect((await send({ to: "bob", body: "daily" }, "daily")).body["messageId"]).toBe(first.body["messageId"]);
    await clock.advance(1);
    const later = await send({ to: "bob", body: "daily" }, "daily");
    expect(later.status).toBe(200);
    expect(later.body["messageId"]).not.toBe(first.body["messageId"]);
    expect(later.headers.get("idempotent-replayed")).toBeNull();
    expect(await send({ to: "bob", body: "daily" }, "daily")).toMatchObject({ body: later.body });
    expect(await inbox()).toHaveLength(2);
  });

  it("replays a refused send's 403 with the same receipt, and runs again after an error that stored nothing", async () => {
    await api(server, "PATCH", "/api/names/bob", { key: bob.apiKey, body: { delivery_policy: "allowlist_only" } });
    const refused = await send({ to: "bob", body: "blocked" }, "blocked-key");
    expect(refused.status).toBe(403);
    const again = await send({ to: "bob", body: "blocked" }, "blocked-key");
    expect(again.status).toBe(403);
    expect(again.body).toEqual(refused.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");

    // A 404 stored nothing: once the recipient exists, the same key and request send.
    const missing = await send({ to: "dave", body: "hello dave" }, "later");
    expect(missing.status).toBe(404);
    await server.createName("dave", "dave@example.com");
    const sent = await send({ to: "dave", body: "hello dave" }, "later");
    expect(sent.status).toBe(200);
  });

  it.each([
    ["empty", ""],
    ["with a space", "two words"],
    ["too long", "k".repeat(256)],
  ])("refuses a key that is %s, naming the header", async (_what, key) => {
    const res = await send({ to: "bob", body: "x" }, key);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "CT_BAD_REQUEST", field: "idempotency-key" });
    expect(await inbox()).toEqual([]);
  });
});
