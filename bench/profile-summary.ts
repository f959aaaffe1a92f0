/**
 * Sums a `--cpu-prof` profile of the server (`BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=…"`): self time by
 * function, and by the module of the bundle it belongs to (in any file of the bundle folder: entries and chunks). Node's own functions (HTTP parsing, streams, socket
 * writes) are counted under the nearest bundled module that called them, so that "fastify's reply" includes the socket
 * write it started. With `--messages N` every figure is also given in µs per message.
 *
 *   npx tsx bench/profile-summary.ts <file.cpuprofile> [--bundle dist/bundle] [--messages N] [--top 40]
 *
 * The profile samples wall time of the main thread: on a busy machine the time the thread waited for a core counts
 * too, so compare shares within one profile rather than absolute figures between runs.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { bundle: { type: "string", default: "dist/bundle" }, messages: { type: "string" }, top: { type: "string", default: "40" } },
});
const file = positionals[0];
if (file === undefined) throw new Error("usage: profile-summary.ts <file.cpuprofile> [--bundle dist/bundle] [--messages N] [--top 40]");
const messages = Number(values.messages ?? 0);
const top = Number(values.top);

/** Each bundled file's module markers (`// dist/server/…js`, `// …/node_modules/…js`): the first line of each module. */
type Markers = Array<{ line: number; name: string }>;
const markersOf = (path: string): Markers => {
  const modules: Markers = [];
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((text, i) => {
      const marker = /^\/\/ (\S+\.[cm]?js)$/.exec(text);
      if (marker?.[1] !== undefined) modules.push({ line: i + 1, name: marker[1].replace(/^.*node_modules\//, "npm:").replace(/^dist\//, "") });
    });
  return modules;
};
/** The bundle's files by their path inside the bundle folder (`cli-main.js`, `chunks/server-….js`). */
const bundleFiles = new Map(
  readdirSync(values.bundle, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".js"))
    .map((name): [string, Markers] => [name, markersOf(join(values.bundle, name))]),
);
const fileOfUrl = new Map<string, Markers | undefined>();
/** The markers of the bundled file a frame runs in; undefined outside the bundle. */
const markersAt = (url: string): Markers | undefined => {
  if (!fileOfUrl.has(url)) fileOfUrl.set(url, [...bundleFiles].find(([name]) => url.endsWith(`/${name}`))?.[1]);
  return fileOfUrl.get(url);
};
const moduleAt = (modules: Markers, line: number): string => {
  let lo = 0;
  let hi = modules.length - 1;
  let found = "(bundle)";
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const entry = modules[mid];
    if (entry === undefined) break;
    if (entry.line <= line) {
      found = entry.name;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
};

const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parents = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const bundledModule = (frame: CallFrame): string | undefined => {
  const markers = markersAt(frame.url);
  return markers === undefined ? undefined : moduleAt(markers, frame.lineNumber + 1);
};
const ownModule = (id: number | undefined): string | undefined => {
  for (let at = id; at !== undefined; at = parents.get(at)) {
    const node = nodes.get(at);
    const bundled = node === undefined ? undefined : bundledModule(node.callFrame);
    if (bundled !== undefined) return bundled;
  }
  return undefined;
};

const byFunction = new Map<string, number>();
const byModule = new Map<string, number>();
let total = 0;
let idle = 0;
const add = (map: Map<string, number>, key: string, us: number): void => {
  map.set(key, (map.get(key) ?? 0) + us);
};
for (const [id, us] of selfUs) {
  const frame = nodes.get(id)?.callFrame;
  if (frame === undefined) continue;
  total += us;
  if (frame.functionName === "(idle)") {
    idle += us;
    continue;
  }
  const where = bundledModule(frame) ?? frame.url.replace(/^.*\//, "");
  add(byFunction, `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`, us);
  const special = frame.functionName.startsWith("(") ? frame.functionName : undefined;
  add(byModule, special ?? ownModule(id) ?? `(node) ${where}`, us);
}

const busy = total - idle;
const line = (us: number, label: string): string =>
  `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / busy).toFixed(1).padStart(5)} %${messages > 0 ? `${(us / messages).toFixed(2).padStart(8)} µs/msg` : ""}  ${label}`;
const table = (title: string, map: Map<string, number>): string[] => [
  `--- ${title}`,
  ...[...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([label, us]) => line(us, label)),
];
process.stdout.write(
  [
    `${file}: ${(total / 1000).toFixed(0)} ms sampled, idle ${(idle / 1000).toFixed(0)} ms, busy ${(busy / 1000).toFixed(0)} ms${messages > 0 ? ` (${(busy / messages).toFixed(1)} µs a message)` : ""}`,
    ...table("by module (node's own functions under the bundled module that called them)", byModule),
    ...table("by function", byFunction),
    "",
  ].join("\n"),
);
