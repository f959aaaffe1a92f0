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
  chat: ["protocol", "config", "infra", "daemon/contracts"],
  daemon: ["protocol", "client", "config", "chat", "infra"],
  operator: ["protocol", "client", "config", "infra"],
  plugin: ["protocol", "client", "config", "chat", "daemon", "infra", "operator"],
  server: ["protocol", "infra"],
  cli: ["protocol", "client", "config", "chat", "daemon", "server", "infra", "plugin", "operator"],
};

function listTsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return listTsFiles(path);
    return path.endsWith(".ts") ? [path] : [];
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
      for (const spec of importsOf(readFileSync(file, "utf8"))) {
        if (!spec.startsWith(".")) continue;
        const target = resolve(dirname(file), spec);
        const rel = relative(SRC, target).split(sep);
        const targetRoom = rel.length > 1 ? rel[0] : undefined;
        if (targetRoom === undefined || targetRoom === room) continue;
        const targetPath = rel.join("/").replace(/\.js$/, "");
        const ok = allowed.some((a) => a === targetRoom || targetPath.startsWith(a));
        if (!ok) violations.push(`${relative(SRC, file)} imports ${spec} (room ${targetRoom})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("keeps console out of library code", () => {
    const offenders = files.filter((f) => !f.endsWith(`${sep}cli.ts`) && /\bconsole\.(log|error|warn|info|debug)\(/.test(readFileSync(f, "utf8")));
    expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
  });
});
