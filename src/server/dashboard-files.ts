/**
 * The dashboard's built files (`npm run build` writes them to dist/bundle/dashboard/, beside the server's bundle),
 * read into memory once when the server starts: `index.html` and the hashed files of `assets/`, each with its gzip
 * form. A request can only name a file of that list, so no path of the request ever reaches the file system.
 */

import { readdir, readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export interface DashboardFile {
  readonly type: string;
  readonly body: Buffer;
  readonly gzipped: Buffer;
}

export interface DashboardFiles {
  /** `index.html`, or undefined when the dashboard was not built. */
  readonly index: DashboardFile | undefined;
  /** The files of `assets/` by file name. */
  readonly assets: ReadonlyMap<string, DashboardFile>;
}

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
};

/**
 * Where `npm run build` puts the dashboard: dist/bundle/dashboard/ of the package this module runs from — from its
 * TypeScript sources (src/server/), or from anywhere in its dist/ (a chunk of the bundle, an entry, tsc's output).
 */
export function defaultDashboardDir(moduleUrl: string = import.meta.url): string {
  if (moduleUrl.endsWith(".ts")) return fileURLToPath(new URL("../../dist/bundle/dashboard/", moduleUrl));
  const path = new URL(moduleUrl).pathname;
  const dist = path.lastIndexOf("/dist/");
  // Outside a dist/ (copied elsewhere by hand): beside the module.
  return fileURLToPath(dist < 0 ? new URL("./dashboard/", moduleUrl) : new URL(`file://${path.slice(0, dist)}/dist/bundle/dashboard/`));
}

function fileOf(name: string, body: Buffer): DashboardFile {
  return { type: TYPES[extname(name)] ?? "application/octet-stream", body, gzipped: gzipSync(body) };
}

async function readOrUndefined(path: string): Promise<Buffer | undefined> {
  return readFile(path).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  });
}

/** Reads the built dashboard from `dir`; a missing folder gives no files (the server then says it was not built). */
export async function loadDashboardFiles(dir: string): Promise<DashboardFiles> {
  const index = await readOrUndefined(join(dir, "index.html"));
  const assets = new Map<string, DashboardFile>();
  const names = await readdir(join(dir, "assets")).catch(() => [] as string[]);
  for (const name of names) {
    const body = await readOrUndefined(join(dir, "assets", name));
    if (body !== undefined) assets.set(name, fileOf(name, body));
  }
  return { index: index === undefined ? undefined : fileOf("index.html", index), assets };
}
