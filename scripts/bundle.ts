// `npm run bundle`, the second half of `npm run build`: bundles what tsc compiled into dist/ into the files the
// package ships, each with its libraries inside:
//   dist/bundle/index.js  the OpenClaw plugin entry (OpenClaw itself stays an import from openclaw/plugin-sdk/*)
//   dist/bundle/cli.js    the `clawtell` bin: a few lines that turn Node's compile cache on and load cli-main.js
//   dist/bundle/cli-main.js  the commands: server, daemon and admin, registered; what an action runs is loaded by
//                         `import()` when it runs, from dist/bundle/chunks/ (esbuild's code splitting)
//   dist/bundle/chunks/key-hash-worker.js  the server's bcrypt worker thread, started by file name from beside the
//                         server's chunk (the server is always loaded with import(), so its code lives in chunks/)
//   dist/bundle/chunks/json-parse-worker.js  the server's worker thread for large JSON bodies, started the same way
// and, beside them, THIRD-PARTY-NOTICES.txt with the licence of every library bundled in. The server's own release
// (version, CHANGELOG.md, the skill) goes into the bundle as a constant.
// The package then declares no dependencies. OpenClaw copies a plugin's package and every dependency it declares into
// a private folder each time a gateway or an `openclaw` command loads it; one bundled file is a few MB to copy instead
// of some 36 MB in seventy packages, and installing the plugin downloads nothing.
import { chmod, mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { build, type Metafile, type Plugin } from "esbuild";

const root = resolve(import.meta.dirname, "..");
const outdir = resolve(root, "dist/bundle");

// The libraries written as CommonJS call require() for Node's own modules; an ES module has none of its own.
const requireShim = 'import { createRequire as __clawtellCreateRequire } from "node:module";\nconst require = __clawtellCreateRequire(import.meta.url);';

/** The package folders (node_modules/<name> or node_modules/@scope/<name>) that the bundles took code from. */
function bundledPackages(metafile: Metafile): string[] {
  const folders = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match?.[1] !== undefined) folders.add(match[1]);
  }
  return [...folders].sort();
}

async function notices(folders: readonly string[]): Promise<string> {
  const sections: string[] = [];
  for (const folder of folders) {
    const manifest = JSON.parse(await readFile(join(root, folder, "package.json"), "utf8")) as { name: string; version: string; license?: string };
    const licenceFile = (await readdir(join(root, folder))).find((f) => /^(licen[cs]e|copying)(\..*)?$/i.test(f));
    const text = licenceFile === undefined ? `License: ${manifest.license ?? "see the package"}` : (await readFile(join(root, folder, licenceFile), "utf8")).trim();
    sections.push(`${manifest.name}@${manifest.version}\n\n${text}`);
  }
  return `The bundled files of openclaw-clawtell include code from these packages, under their licences:\n\n${sections.join("\n\n---\n\n")}\n`;
}

/**
 * Optional modules that libraries load only if they are there, which the bundle leaves out: pg's native binding
 * (`pg-native`, loaded only for `pg.native`, which the server never asks for) and `supports-color` (which `debug`,
 * loaded by ioredis and @fastify/swagger, tries inside a try/catch for coloured output). In their place the bundle carries a module that says
 * so if it is ever loaded, so the bundle needs neither, whether or not one is installed here.
 */
const OPTIONAL_MODULES = ["pg-native", "supports-color"];

/**
 * The bin's import of the commands stays an import of the file beside it (cli-main.js, bundled on its own): loaded
 * after the bin has turned the compile cache on, the commands' code is then compiled once and read from the cache at
 * later starts. Bundled into the bin, it would be compiled before the cache is on, at every start.
 */
const commandsBesideBin: Plugin = {
  name: "commands-beside-bin",
  setup(build) {
    build.onResolve({ filter: /^\.\/cli-main\.js$/ }, (args) => (args.importer.endsWith("/dist/cli.js") ? { path: args.path, external: true } : undefined));
  },
};
/**
 * node:http taken with `require` instead of an ES import. To make the namespace of a built-in module imported as an ES
 * module, Node reads every one of its exports, and node:http's include lazy getters (`WebSocket` and the other classes
 * of Node's own copy of undici) that load and compile undici: about 90 ms of CPU at every start of every command, for
 * classes nothing of ours uses. Required, node:http is the same object, and its exports are read where they are used.
 */
const httpThroughRequire: Plugin = {
  name: "http-through-require",
  setup(build) {
    const namespace = "http-through-require";
    build.onResolve({ filter: /^(node:)?http$/ }, (args) =>
      args.namespace === namespace ? { path: "node:http", external: true } : { path: "node:http", namespace },
    );
    build.onLoad({ filter: /.*/, namespace }, () => ({ contents: 'module.exports = require("node:http");', loader: "js" }));
  },
};
const withoutOptionalModules: Plugin = {
  name: "without-optional-modules",
  setup(build) {
    const filter = new RegExp(`^(${OPTIONAL_MODULES.join("|")})$`);
    build.onResolve({ filter }, (args) => ({ path: args.path, namespace: "without-optional-modules" }));
    build.onLoad({ filter: /.*/, namespace: "without-optional-modules" }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is not part of the clawtell bundle`)});`,
      loader: "js",
    }));
  },
};

/**
 * What the server says about its own release (src/server/guides/release.ts): the package's name and version, its
 * changelog and the skill it ships, put into the bundle as one constant so it needs no file beside it.
 */
async function release(): Promise<string> {
  const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { name: string; version: string };
  return JSON.stringify({
    name: manifest.name,
    version: manifest.version,
    changelog: await readFile(join(root, "CHANGELOG.md"), "utf8"),
    skill: await readFile(join(root, "skills/clawtell/SKILL.md"), "utf8"),
  });
}

/**
 * Every character past ASCII in the bundles as a `\uXXXX` escape. esbuild escapes strings and identifiers itself, but
 * leaves comments and regular expression literals as they are: one em dash in a 6 MB file makes Node read the whole
 * file into a two-byte string, and the server keeps its source in memory for as long as it runs (12.7 MB instead of
 * 6.4 MB). The escape means the same inside a string, a template, a regular expression (with or without `u`) and a
 * comment, so the code is unchanged — unless a backslash stands before the character (an identity escape in a regular
 * expression), which the bundle refuses rather than change.
 */
function escapeNonAscii(file: string, text: string): string {
  const escaped = /\\[^\x00-\x7f]/.exec(text);
  if (escaped !== null) throw new Error(`${file}: an escaped character past ASCII at ${escaped.index}; write it as \\uXXXX`);
  return text.replace(/[^\x00-\x7f]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * Writes a file whole or not at all (a temporary file beside it, renamed over it): a process that starts a bundle while
 * it is being rebuilt (a test's server, while the e2e tests build the package) reads the old one or the new one, never
 * half of one.
 */
async function replaceFile(path: string, contents: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, contents, { mode });
  await chmod(temporary, mode);
  await rename(temporary, path);
}

async function bundle(): Promise<void> {
  const result = await build({
    absWorkingDir: root,
    // The worker threads are loaded by file name from beside the code that starts them: the server's, in chunks/.
    entryPoints: {
      index: "dist/index.js",
      cli: "dist/cli.js",
      "cli-main": "dist/cli-main.js",
      "chunks/key-hash-worker": "dist/server/key-hash-worker.js",
      "chunks/json-parse-worker": "dist/server/json-parse-worker.js",
    },
    outdir,
    bundle: true,
    // What the commands' actions and the plugin load with import() goes into chunks of its own, and so does code two
    // entries share: `clawtell --help` then reads and compiles about 1.2 MB instead of 6 MB (0.37 → 0.24 s of CPU), an
    // admin command about 1.7 MB, and neither the server's routes. Chunk names carry a hash of their content.
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    platform: "node",
    format: "esm",
    target: "node24",
    external: ["openclaw", "openclaw/*"],
    plugins: [withoutOptionalModules, commandsBesideBin, httpThroughRequire],
    banner: { js: requireShim },
    define: { __CLAWTELL_RELEASE__: await release() },
    // Readable stack traces without shipping source maps: names and layout are kept.
    minify: false,
    legalComments: "eof",
    metafile: true,
    logLevel: "warning",
    write: false,
  });
  const chunks = join(outdir, "chunks");
  await mkdir(chunks, { recursive: true });
  // What a bundling cut off midway left behind is not shipped.
  for (const folder of [outdir, chunks]) {
    for (const left of (await readdir(folder)).filter((f) => f.endsWith(".tmp"))) await rm(join(folder, left), { force: true });
  }
  // Chunks first, then the entries that import them: a process that starts meanwhile finds every chunk it asks for.
  const inChunks = (path: string): boolean => path.startsWith(`${chunks}/`);
  const outputs = [...result.outputFiles.filter((o) => inChunks(o.path)), ...result.outputFiles.filter((o) => !inChunks(o.path))];
  for (const output of outputs) {
    const text = output.path.endsWith(".js") ? escapeNonAscii(output.path, output.text) : output.text;
    await replaceFile(output.path, text, output.path === join(outdir, "cli.js") ? 0o755 : 0o644);
  }
  // The chunks of earlier builds are not shipped. (A process still running an earlier build that has yet to load one of
  // its chunks fails to: restart what runs from dist/ after a build.)
  const current = new Set(result.outputFiles.map((o) => o.path));
  for (const old of (await readdir(chunks)).filter((f) => !current.has(join(chunks, f)))) await rm(join(chunks, old), { force: true });
  await replaceFile(join(outdir, "THIRD-PARTY-NOTICES.txt"), await notices(bundledPackages(result.metafile)), 0o644);
}

await bundle();
