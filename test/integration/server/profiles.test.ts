// Directory profiles over real HTTP: a name's own profile (GET/PATCH /api/profile) with its validation, the visible
// profile in the public lookup, and the public directory (search, filters, paging, visibility).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteNameAsAdmin, type CreatedName } from "../../../src/server/index.js";
import { PROFILE_CATEGORIES } from "../../../src/protocol/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

type Body = Record<string, unknown>;

describe("profiles", () => {
  let server: TestServer;
  let alice: CreatedName;
  let helper: CreatedName;
  let bob: CreatedName;

  beforeAll(async () => {
    server = await startTestServer();
    alice = await server.createName("alice", "alice@example.com");
    helper = await server.createName("helper", "alice@example.com");
    bob = await server.createName("bob", "bob@example.com");
  });
  afterAll(async () => server.close());

  const patch = (key: string, body: unknown, query = "") => api(server, "PATCH", `/api/profile${query}`, { key, body });
  const get = (key: string, query = "") => api(server, "GET", `/api/profile${query}`, { key });

  describe("GET and PATCH /api/profile", () => {
    it("answers an empty, visible, unlisted profile before anything is written", async () => {
      const res = await get(bob.apiKey);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        name: "bob",
        fullName: "tell/bob",
        display_name: "",
        tagline: "",
        description: "",
        skills: [],
        categories: [],
        pricing_model: null,
        availability: null,
        portfolio: [],
        contact_links: [],
        updated_at: null,
        profile_visible: true,
        listed: false,
      });
    });

    it("stores what PATCH gives (trimmed; categories in lower case; repeats dropped) and answers it on GET", async () => {
      const res = await patch(alice.apiKey, {
        display_name: "  Alice the Archivist ",
        tagline: "Finds any paper in seconds",
        description: "Searches archives.\nSummarises what it finds.",
        skills: ["Search", "summaries", "search", "PDF"],
        categories: ["Research", "writing", "research"],
        pricing_model: "per_task",
        availability: "available",
        portfolio: [{ title: "Thesis digest", url: "https://example.com/digest" }],
        contact_links: [{ label: "Website", url: "https://alice.example.com" }],
        profile_visible: true,
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        name: "alice",
        display_name: "Alice the Archivist",
        tagline: "Finds any paper in seconds",
        description: "Searches archives.\nSummarises what it finds.",
        skills: ["Search", "summaries", "PDF"],
        categories: ["research", "writing"],
        pricing_model: "per_task",
        availability: "available",
        portfolio: [{ title: "Thesis digest", url: "https://example.com/digest", description: "" }],
        contact_links: [{ label: "Website", url: "https://alice.example.com" }],
        profile_visible: true,
        listed: true,
      });
      expect(Date.parse(String(res.body["updated_at"]))).not.toBeNaN();
      expect((await get(alice.apiKey)).body).toEqual(res.body);
    });

    it("changes only the fields given, and null clears one", async () => {
      await patch(helper.apiKey, { tagline: "Helps", description: "Does chores", skills: ["chores"] });
      const res = await patch(helper.apiKey, { tagline: null, availability: "busy" });
      expect(res.body).toMatchObject({ tagline: "", description: "Does chores", skills: ["chores"], availability: "busy", listed: false });
    });

    it("keeps markup as plain text, byte for byte, in JSON", async () => {
      const hostile = `<script>alert("x")</script> & <img src=x onerror=alert(1)>`;
      const res = await patch(bob.apiKey, { tagline: hostile, description: `"quoted" & 'single' </textarea>` });
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res.body["tagline"]).toBe(hostile);
      expect((await get(bob.apiKey)).body["description"]).toBe(`"quoted" & 'single' </textarea>`);
      await patch(bob.apiKey, { tagline: null, description: null });
    });

    it.each([
      ["a tagline over 160 characters", { tagline: "x".repeat(161) }, "tagline", "at most 160"],
      ["a display name over 80 characters", { display_name: "x".repeat(81) }, "display_name", "at most 80"],
      ["a description over 4000 characters", { description: "x".repeat(4001) }, "description", "at most 4000"],
      ["a tagline with a line break", { tagline: "one\ntwo" }, "tagline", "one line"],
      ["a description with a control character", { description: "bell\u0007" }, "description", "control characters"],
      ["more than 20 skills", { skills: Array.from({ length: 21 }, (_, i) => `s${i}`) }, "skills", "at most 20"],
      ["an empty skill", { skills: ["ok", "  "] }, "skills.1", "must not be empty"],
      ["a skill over 50 characters", { skills: ["x".repeat(51)] }, "skills.0", "at most 50"],
      ["more than 4 categories", { categories: ["research", "writing", "data", "finance", "support"] }, "categories", "at most 4"],
      ["an unknown category", { categories: ["research", "cooking"] }, "categories.1", PROFILE_CATEGORIES.join(", ")],
      ["an unknown pricing model", { pricing_model: "barter" }, "pricing_model", "free, per_task, hourly, subscription"],
      ["an unknown availability", { availability: "asleep" }, "availability", "available, busy, offline"],
      ["a portfolio link that is not http", { portfolio: [{ title: "x", url: "javascript:alert(1)" }] }, "portfolio.0.url", "http or https"],
      ["a portfolio item without a title", { portfolio: [{ url: "https://example.com" }] }, "portfolio.0.title", ""],
      ["more than 10 contact links", { contact_links: Array.from({ length: 11 }, () => ({ label: "x", url: "https://example.com" })) }, "contact_links", "at most 10"],
      ["a contact link without a URL", { contact_links: [{ label: "x" }] }, "contact_links.0.url", ""],
      ["a visibility that is not a boolean", { profile_visible: "yes" }, "profile_visible", ""],
      ["a field the profile does not have", { nickname: "al" }, "nickname", "not a field"],
      ["a body that is not an object", ["tagline"], "body", ""],
    ])("refuses %s with a 400 naming the field", async (_label, body, field, text) => {
      const res = await patch(helper.apiKey, body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: "CT_BAD_REQUEST", field });
      expect(String(res.body["error"])).toContain(text);
    });

    it("loses no change when PATCHes of different fields come at once", async () => {
      const writer = await server.createName("writer", "writer@example.com");
      const changes: Body[] = [
        { display_name: "Writer" },
        { tagline: "Writes" },
        { description: "Long texts" },
        { skills: ["prose"] },
        { categories: ["writing"] },
        { pricing_model: "hourly" },
        { availability: "busy" },
        { portfolio: [{ title: "Novel" }] },
        { contact_links: [{ label: "Site", url: "https://writer.example.com" }] },
      ];
      const answers = await Promise.all(changes.map((body) => patch(writer.apiKey, body)));
      expect(answers.map((a) => a.status)).toEqual(changes.map(() => 200));
      const stored = (await get(writer.apiKey)).body;
      for (const change of changes) expect(stored).toMatchObject(change);
      expect(stored["listed"]).toBe(true);
    });

    it("stores nothing of a refused patch", async () => {
      const before = (await get(helper.apiKey)).body;
      await patch(helper.apiKey, { availability: "offline", tagline: "x".repeat(500) });
      expect((await get(helper.apiKey)).body).toEqual(before);
    });

    it("acts on another name of the key's account with ?name=, and refuses names of other accounts", async () => {
      const res = await patch(alice.apiKey, { display_name: "Helper of Alice" }, "?name=helper");
      expect(res.status).toBe(200);
      expect((await get(helper.apiKey)).body["display_name"]).toBe("Helper of Alice");
      expect((await get(alice.apiKey, "?name=tell/helper")).body["name"]).toBe("helper");
      for (const res of [await patch(bob.apiKey, { tagline: "mine now" }, "?name=alice"), await get(bob.apiKey, "?name=alice")]) {
        expect(res.status).toBe(403);
        expect(res.body["field"]).toBe("name");
      }
      expect((await get(alice.apiKey)).body["tagline"]).toBe("Finds any paper in seconds");
    });

    it("needs a key", async () => {
      expect((await api(server, "GET", "/api/profile")).status).toBe(401);
      expect((await api(server, "PATCH", "/api/profile", { body: { tagline: "x" } })).status).toBe(401);
    });
  });

  describe("the public lookup", () => {
    it("keeps the fields the SDKs read and adds the profile while it is visible", async () => {
      const lookup = await api(server, "GET", "/api/names/alice");
      expect(lookup.status).toBe(200);
      expect(lookup.body).toMatchObject({ name: "alice", fullName: "tell/alice", registered: true, communicationMode: "allowlist_only" });
      expect(lookup.body["profile"]).toMatchObject({ tagline: "Finds any paper in seconds", categories: ["research", "writing"] });
      expect(lookup.body["profile"]).not.toHaveProperty("profile_visible");

      const fresh = await server.createName("fresh", "fresh@example.com");
      expect((await api(server, "GET", "/api/names/fresh")).body).not.toHaveProperty("profile");

      await patch(fresh.apiKey, { tagline: "secret plans", profile_visible: false });
      const hidden = await api(server, "GET", "/api/names/fresh");
      expect(hidden.status).toBe(200);
      expect(hidden.body).toEqual({ name: "fresh", fullName: "tell/fresh", registered: true, communicationMode: "allowlist_only" });
    });
  });

  describe("GET /api/directory", () => {
    let directoryServer: TestServer;
    const listed = ["anna", "bert", "cleo", "dora", "emil", "finn", "gita"];

    beforeAll(async () => {
      directoryServer = await startTestServer();
      const keys = new Map<string, string>();
      for (const name of [...listed, "hidden", "halfdone"]) keys.set(name, (await directoryServer.createName(name, `${name}@example.com`)).apiKey);
      const put = (name: string, body: Body) => api(directoryServer, "PATCH", "/api/profile", { key: keys.get(name) ?? "", body });
      await put("anna", { tagline: "Python tooling", description: "Writes Python scripts and tests", skills: ["Python", "pytest"], categories: ["development"] });
      await put("bert", { tagline: "Über-fast translations", description: "Translates documents overnight", skills: ["translation"], categories: ["writing"] });
      await put("cleo", { tagline: "Data wrangler", description: "Cleans spreadsheets with Python", skills: ["pandas", "python"], categories: ["data", "development"] });
      await put("dora", { tagline: "Research digests", description: "Reads papers so you do not have to", skills: ["summaries"], categories: ["research"] });
      await put("emil", { tagline: "Scheduling", description: "Books meetings", categories: ["productivity"] });
      await put("finn", { tagline: "Budgets", description: "Keeps the books", skills: ["accounting"], categories: ["finance"] });
      await put("gita", { tagline: "Support desk", description: "Answers customer mail", categories: ["support"] });
      await put("hidden", { tagline: "Python secret", description: "Not for the directory", profile_visible: false });
      await put("halfdone", { tagline: "Python, description to come" });
    });
    afterAll(async () => directoryServer.close());

    const search = async (query: string): Promise<{ status: number; names: string[]; body: Body }> => {
      const res = await api(directoryServer, "GET", `/api/directory${query}`);
      const agents = (res.body["agents"] ?? []) as Array<{ name: string }>;
      return { status: res.status, names: agents.map((a) => a.name), body: res.body };
    };

    it("is public and lists only visible profiles with a tagline and a description, in name order", async () => {
      const res = await search("");
      expect(res.status).toBe(200);
      expect(res.names).toEqual(listed);
      expect(res.body).toMatchObject({ count: listed.length, nextCursor: null });
      expect((res.body["agents"] as Body[])[0]).toMatchObject({ name: "anna", fullName: "tell/anna", tagline: "Python tooling", skills: ["Python", "pytest"] });
    });

    it("finds by every word of q, each the start of a word of the name, texts, skills or categories, in any case", async () => {
      expect((await search("?q=python")).names).toEqual(["anna", "cleo"]);
      expect((await search("?q=PYTH")).names).toEqual(["anna", "cleo"]);
      expect((await search("?q=python%20spread")).names).toEqual(["cleo"]);
      expect((await search("?q=%C3%BCber")).names).toEqual(["bert"]);
      expect((await search("?q=ranslat")).names).toEqual([]);
      expect((await search("?q=gita")).names).toEqual(["gita"]);
      expect((await search("?q=finance")).names).toEqual(["finn"]);
      expect((await search("?q=%25_%27%22")).names).toEqual(listed);
    });

    it("filters by category and by skill (whole, in any case)", async () => {
      expect((await search("?category=development")).names).toEqual(["anna", "cleo"]);
      expect((await search("?category=Development&skill=PANDAS")).names).toEqual(["cleo"]);
      expect((await search("?skill=python")).names).toEqual(["anna", "cleo"]);
      expect((await search("?skill=pyth")).names).toEqual([]);
      expect((await search("?category=&skill=")).names).toEqual(listed);
    });

    it("pages with limit and nextCursor, each profile once", async () => {
      const seen: string[] = [];
      let cursor: string | null = "";
      let pages = 0;
      while (cursor !== null) {
        const res = await search(`?limit=3${cursor === "" ? "" : `&cursor=${encodeURIComponent(cursor)}`}`);
        expect(res.names.length).toBeLessThanOrEqual(3);
        seen.push(...res.names);
        cursor = res.body["nextCursor"] as string | null;
        pages++;
      }
      expect(seen).toEqual(listed);
      expect(pages).toBe(3);
      const filtered = await search("?q=python&limit=1");
      expect(filtered.names).toEqual(["anna"]);
      expect((await search(`?q=python&limit=1&cursor=${String(filtered.body["nextCursor"])}`)).names).toEqual(["cleo"]);
    });

    it.each([
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["limit=abc", "limit"],
      ["category=cooking", "category"],
      ["cursor=%21%21", "cursor"],
      ["cursor=QUJD", "cursor"],
      [`q=${"x".repeat(201)}`, "q"],
    ])("refuses %s with a 400 naming the field", async (query, field) => {
      const res = await search(`?${query}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: "CT_BAD_REQUEST", field });
    });

    it("follows changes: a hidden profile leaves, changed words are found by their new text only, a deleted name goes", async () => {
      const zoe = await directoryServer.createName("zoe", "zoe@example.com");
      await api(directoryServer, "PATCH", "/api/profile", { key: zoe.apiKey, body: { tagline: "Calendars", description: "Books rooms" } });
      expect((await search("?q=calendars")).names).toEqual(["zoe"]);
      await api(directoryServer, "PATCH", "/api/profile", { key: zoe.apiKey, body: { tagline: "Travel" } });
      expect((await search("?q=calendars")).names).toEqual([]);
      expect((await search("?q=travel")).names).toEqual(["zoe"]);
      await api(directoryServer, "PATCH", "/api/profile", { key: zoe.apiKey, body: { profile_visible: false } });
      expect((await search("?q=travel")).names).toEqual([]);
      await api(directoryServer, "PATCH", "/api/profile", { key: zoe.apiKey, body: { profile_visible: true } });
      expect((await search("?q=travel")).names).toEqual(["zoe"]);
      await deleteNameAsAdmin(directoryServer.storage.directory, "zoe");
      expect((await search("?q=travel")).names).toEqual([]);
      expect((await search("")).names).toEqual(listed);
    });
  });
});
