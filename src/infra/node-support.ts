/**
 * The Node.js this package runs on (package.json `engines`): checked by the `clawtell` bin before it loads anything
 * else, so that an older Node says what is wrong instead of failing on the first API it lacks.
 */

/** The oldest Node.js the package supports, as in package.json `engines.node`. */
export const MIN_NODE_VERSION = "24.16.0";

/** Why `version` (`process.versions.node`, e.g. `20.20.2`) cannot run the package, or undefined when it can. */
export function unsupportedNode(version: string): string | undefined {
  const parts = (v: string): number[] => v.replace(/^v/, "").split(".").map((part) => Number.parseInt(part, 10) || 0);
  const have = parts(version);
  const need = parts(MIN_NODE_VERSION);
  for (let i = 0; i < need.length; i++) {
    const diff = (have[i] ?? 0) - (need[i] ?? 0);
    if (diff > 0) return undefined;
    if (diff < 0) return `clawtell needs Node.js ${MIN_NODE_VERSION} or newer; this is Node.js ${version.replace(/^v/, "")}`;
  }
  return undefined;
}
