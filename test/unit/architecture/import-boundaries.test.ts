// Keeps the rooms of architecture.md honest: each folder of src/ imports only the rooms it is allowed to.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, dirname, sep } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../../src");

const ALLOWED: Record<string, readonly string[]> = {
  infra: [],
  protocol: [],
  client: ["protocol", "infra"],
  config: ["protocol", "infra"],
  chat: ["protocol", "config", "infra"],
  daemon: ["protocol", "client", "config", "chat", "infra"],
  operator: ["protocol", "client", "config", "daemon", "infra"],
  plugin: ["protocol", "client", "config", "chat", "daemon", "operator", "infra"],
  server: ["protocol", "infra"],
  dashboard: ["protocol"],
  cli: ["protocol", "client", "config", "chat", "daemon", "operator", "server", "infra"],
};

/** The room each relative import of a file lands in (other rooms only). */
function roomImports(file: string, room: string): { spec: string; targetRoom: string }[] {
  const found: { spec: string; targetRoom: string }[] = [];
  for (const spec of importsOf(readFileSync(file, "utf8"))) {
    if (!spec.startsWith(".")) continue;
    const rel = relative(SRC, resolve(dirname(file), spec)).split(sep);
    const targetRoom = rel.length > 1 ? rel[0] : undefined;
    if (targetRoom !== undefined && targetRoom !== room) found.push({ spec, targetRoom });
  }
  return found;
}

/** A cycle of the graph as room names (first = last), or undefined when it has none. */
function findCycle(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") return [...path.slice(path.indexOf(node)), node];
    state.set(node, "open");
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

function listTsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return listTsFiles(path);
    return path.endsWith(".ts") || path.endsWith(".tsx") ? [path] : [];
  });
}

function roomOf(file: string): string | undefined {
  const rel = relative(SRC, file).split(sep);
  return rel.length > 1 ? rel[0] : undefined;
}

function importsOf(source: string): string[] {
  const specs: string[] = [];
  for (const match of source.matchAll(/(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)) {
    const spec = match[1] ?? match[2];
    if (spec !== undefined) specs.push(spec);
  }
  return specs;
}

describe("import boundaries", () => {
  const files = listTsFiles(SRC);

  it("finds the source files", () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it("lets every room import only the rooms architecture.md allows", () => {
    const violations: string[] = [];
    for (const file of files) {
      const room = roomOf(file);
      if (room === undefined) continue;
      const allowed = ALLOWED[room];
      if (allowed === undefined) {
        violations.push(`${relative(SRC, file)}: room "${room}" is not in the architecture table`);
        continue;
      }
      for (const { spec, targetRoom } of roomImports(file, room)) {
        if (!allowed.includes(targetRoom)) violations.push(`${relative(SRC, file)} imports ${spec} (room ${targetRoom})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("allows no cycle between rooms in the table (chat ↔ daemon, operator ↔ daemon cannot circle)", () => {
    const edges = new Map(Object.entries(ALLOWED).map(([room, allowed]) => [room, new Set(allowed)]));
    expect(findCycle(edges)).toBeUndefined();
  });

  it("has no cycle between rooms in the code", () => {
    const edges = new Map<string, Set<string>>();
    for (const file of files) {
      const room = roomOf(file);
      if (room === undefined) continue;
      const out = edges.get(room) ?? new Set<string>();
      for (const { targetRoom } of roomImports(file, room)) out.add(targetRoom);
      edges.set(room, out);
    }
    expect(findCycle(edges)).toBeUndefined();
  });

  it("keeps the operator protocol out of the pipeline and the plugin out of the CLI", () => {
    expect(files.some((f) => relative(SRC, f).split(sep)[0] === "operator")).toBe(true);
    const daemonFiles = files.filter((f) => relative(SRC, f).split(sep)[0] === "daemon").map((f) => relative(SRC, f));
    expect(daemonFiles.filter((f) => /operator|queue-report|requests/.test(f))).toEqual([]);
  });

  it("has one backoff module: one jitter constant in the whole source", () => {
    const defining = files.filter((f) => /\bJITTER_RATIO\s*=/.test(readFileSync(f, "utf8"))).map((f) => relative(SRC, f).split(sep).join("/"));
    expect(defining).toEqual(["infra/backoff.ts"]);
  });

  it("keeps console out of library code", () => {
    const offenders = files.filter((f) => !f.endsWith(`${sep}cli.ts`) && /\bconsole\.(log|error|warn|info|debug)\(/.test(readFileSync(f, "utf8")));
    expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
  });
});
