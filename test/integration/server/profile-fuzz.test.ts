// The probe for the profile, directory and guide endpoints: thousands of seeded requests built from mutations of valid
// ones (wrong types, lengths at and past the bounds, control characters, markup, lone surrogates, unknown fields,
// odd queries and Host headers). Zero 5xx, every error a 400/401/403 in the documented shape naming a field, and the
// state stays consistent: what GET /api/profile answers is always the last accepted PATCH, and the directory lists
// only visible profiles with a tagline and a description.
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROFILE_CATEGORIES } from "../../../src/protocol/index.js";
import type { CreatedName } from "../../../src/server/index.js";
import { api, startTestServer, type TestServer } from "../../helpers/test-server.js";

const SEED = Number(process.env["FUZZ_SEED"] ?? 21);
const CASES = Number(process.env["FUZZ_CASES"] ?? 3000);
const PARALLEL = 6;

function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = generator(SEED);
const int = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;

const TEXTS = [
  "",
  " ",
  "plain words",
  "<script>alert(1)</script>",
  "a\nb",
  "tab\there",
  "\u0000",
  "\u0007bell",
  "\ud800",
  "🦞 lobster",
  "Über straße",
  "x".repeat(80),
  "x".repeat(81),
  "x".repeat(160),
  "x".repeat(161),
  "y".repeat(4000),
  "y".repeat(4001),
  "%_'\"\\",
];
const URLS = ["https://example.com", "http://a.b/c?d=e", "javascript:alert(1)", "ftp://x", "not a url", "", `https://e.com/${"p".repeat(600)}`];
const FIELDS = ["display_name", "tagline", "description", "skills", "categories", "pricing_model", "availability", "portfolio", "contact_links", "profile_visible"];

function scalar(): unknown {
  return pick<unknown>([pick(TEXTS), int(1000) - 500, 1.5, true, false, null, [], {}, pick(URLS)]);
}

function fieldValue(field: string): unknown {
  if (random() < 0.25) return scalar();
  switch (field) {
    case "skills":
      return Array.from({ length: int(24) }, () => (random() < 0.8 ? pick(["python", "Python", "go", "rust", "x".repeat(50), "x".repeat(51), "", " a "]) : scalar()));
    case "categories":
      return Array.from({ length: int(6) }, () => (random() < 0.8 ? pick([...PROFILE_CATEGORIES, "Research", " data ", "cooking", ""]) : scalar()));
    case "pricing_model":
      return pick(["free", "per_task", "hourly", "subscription", "barter", "FREE"]);
    case "availability":
      return pick(["available", "busy", "offline", "asleep"]);
    case "portfolio":
      return Array.from({ length: int(12) }, () => ({
        ...(random() < 0.9 ? { title: pick(TEXTS) } : {}),
        ...(random() < 0.6 ? { url: pick(URLS) } : {}),
        ...(random() < 0.5 ? { description: pick(TEXTS) } : {}),
        ...(random() < 0.05 ? { extra: 1 } : {}),
      }));
    case "contact_links":
      return Array.from({ length: int(12) }, () => ({ ...(random() < 0.9 ? { label: pick(TEXTS) } : {}), ...(random() < 0.9 ? { url: pick(URLS) } : {}) }));
    case "profile_visible":
      return pick([true, false, true, "true", 1]);
    default:
      return pick(TEXTS);
  }
}

function patchBody(): string {
  switch (int(10)) {
    case 0:
      return pick(["", "{", "[]", "null", '"x"', "1", '{"tagline":', `{"tagline":"${"\\ud800"}"}`]);
    case 1:
      return JSON.stringify({ [pick(["nickname", "__proto__", "constructor", "name"])]: scalar() });
    default: {
      const body: Record<string, unknown> = {};
      for (let i = 1 + int(4); i > 0; i--) {
        const field = pick(FIELDS);
        body[field] = fieldValue(field);
      }
      return JSON.stringify(body);
    }
  }
}

function directoryQuery(): string {
  const values: Record<string, readonly string[]> = {
    q: ["python", "PYTH", "%C3%BCber", "%00", "%ZZ", "a%20b%20c%20d%20e%20f%20g%20h%20i%20j", "x".repeat(201), "", "%25_"],
    category: [...PROFILE_CATEGORIES, "Research", "cooking", "", "%00"],
    skill: ["python", "", "x".repeat(51), "%0A"],
    limit: ["0", "1", "100", "101", "-1", "abc", "1e3", "2.5", ""],
    cursor: ["", "YWxpY2U", "!!", "QUJD", "x".repeat(300), "%00"],
    format: ["json", "md", "xml"],
  };
  const keys = Object.keys(values);
  const parts = Array.from({ length: int(4) }, () => {
    const key = pick(keys);
    return `${key}=${pick(values[key] ?? [""])}`;
  });
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}

/** A GET with a Host header of our choosing. */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = httpRequest(url, { headers: { host } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", fail);
    req.end();
  });
}

describe("fuzz over profiles, the directory and the guides", () => {
  let server: TestServer;
  let names: CreatedName[];
  const problems: string[] = [];
  /** The last profile each name's PATCH was answered with (200). */
  const accepted = new Map<string, Record<string, unknown>>();
  /** PATCHes go one after the other (the rest in parallel), so the order of their answers is the order of their changes. */
  let patches: Promise<void> = Promise.resolve();
  /** How many requests got each status: the probe must reach both the accepted and the refused paths. */
  const statuses = new Map<number, number>();
  const count = (status: number): void => void statuses.set(status, (statuses.get(status) ?? 0) + 1);

  beforeAll(async () => {
    server = await startTestServer();
    names = [
      await server.createName("alice", "alice@example.com"),
      await server.createName("helper", "alice@example.com"),
      await server.createName("bob", "bob@example.com"),
    ];
  });
  afterAll(async () => server.close());

  const checkError = (label: string, status: number, body: string): void => {
    if (status >= 500) problems.push(`${label}: status ${status}`);
    if (status >= 400) {
      const parsed = JSON.parse(body) as Record<string, unknown>;
      if (typeof parsed["error"] !== "string" || typeof parsed["code"] !== "string") problems.push(`${label}: error shape ${body.slice(0, 120)}`);
      if (status === 400 && typeof parsed["field"] !== "string") problems.push(`${label}: 400 without a field ${body.slice(0, 120)}`);
    }
  };

  async function oneRequest(): Promise<void> {
    const who = pick(names);
    const roll = int(10);
    if (roll < 5) {
      const body = patchBody();
      const query = random() < 0.1 ? `?name=${pick(["alice", "helper", "bob", "nobody", "%00", "x".repeat(60)])}` : "";
      const key = random() < 0.05 ? "claw_bad_x" : who.apiKey;
      const turn = patches.then(async () => {
        const res = await fetch(`${server.url}/api/profile${query}`, {
          method: "PATCH",
          headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
          body,
        });
        return { res, text: await res.text() };
      });
      patches = turn.then(() => undefined, () => undefined);
      const { res, text } = await turn;
      count(res.status);
      const label = `PATCH /api/profile${query} ${body.slice(0, 80)}`;
      checkError(label, res.status, text);
      if (res.status === 200) {
        const profile = JSON.parse(text) as Record<string, unknown>;
        accepted.set(String(profile["name"]), profile);
        for (const [key, value] of Object.entries(profile)) {
          if (typeof value === "string" && /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(value)) problems.push(`${label}: stored a control character in ${key}`);
        }
        if (profile["listed"] !== (profile["profile_visible"] === true && profile["tagline"] !== "" && profile["description"] !== "")) {
          problems.push(`${label}: listed does not follow visibility, tagline and description`);
        }
      } else if (![400, 401, 403].includes(res.status)) problems.push(`${label}: status ${res.status}`);
    } else if (roll < 8) {
      const query = directoryQuery();
      const res = await fetch(`${server.url}/api/directory${query}`);
      const text = await res.text();
      count(res.status);
      checkError(`GET /api/directory${query}`, res.status, text);
      if (res.status === 200) {
        const answer = JSON.parse(text) as { agents: Array<Record<string, unknown>> };
        for (const agent of answer.agents) {
          if (agent["tagline"] === "" || agent["description"] === "") problems.push(`GET /api/directory${query}: listed ${String(agent["name"])} without a tagline or description`);
        }
      }
    } else {
      const path = pick(["/join", "/changelog", "/changelog?format=md", "/api/agents-md", "/api/agents-md?format=json&v=0.0.1", `/api/names/${pick(["alice", "bob", "nobody"])}`]);
      const host = pick(["127.0.0.1", "localhost:1", "[::1]:80", "a..b", "x y", "<x>", "é.example", "a".repeat(400), "good.example.com"]);
      const res = await getWithHost(`${server.url}${path}`, host);
      checkError(`GET ${path} host=${host.slice(0, 40)}`, res.status, res.body);
    }
  }

  it(`answers ${CASES} generated requests without a 5xx and with errors naming a field (seed ${SEED})`, async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next++ < CASES) await oneRequest();
      }),
    );
    expect(problems.slice(0, 20)).toEqual([]);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(CASES / 20);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(CASES / 20);
    expect(accepted.size).toBe(names.length);
  }, 120_000);

  it("keeps each name's profile as its last accepted change, and lists it exactly when it should", async () => {
    const listedNames = new Set<string>();
    let cursor: string | null = "";
    while (cursor !== null) {
      const res = await api(server, "GET", `/api/directory?limit=100${cursor === "" ? "" : `&cursor=${cursor}`}`);
      for (const agent of res.body["agents"] as Array<{ name: string }>) listedNames.add(agent.name);
      cursor = res.body["nextCursor"] as string | null;
    }
    for (const name of names) {
      const stored = await api(server, "GET", "/api/profile", { key: name.apiKey });
      const last = accepted.get(name.name);
      if (last !== undefined) expect(stored.body, name.name).toEqual(last);
      expect(listedNames.has(name.name), name.name).toBe(stored.body["listed"]);
      const lookup = await api(server, "GET", `/api/names/${name.name}`);
      expect(lookup.body["profile"] !== undefined, name.name).toBe(stored.body["profile_visible"] === true && last !== undefined);
    }
  });
});
