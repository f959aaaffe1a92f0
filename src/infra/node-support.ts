/**
 * The Node.js this package runs on (package.json `engines`): checked by the `clawtell` bin before it loads anything
 * else, so that an older Node says what is wrong instead of failing on the first API it lacks.
 */

import { compareVersions } from "./versions.js";

/** The oldest Node.js the package supports, as in package.json `engines.node`. */
export const MIN_NODE_VERSION = "24.16.0";

/** Why `version` (`process.versions.node`, e.g. `20.20.2`) cannot run the package, or undefined when it can. */
export function unsupportedNode(version: string): string | undefined {
  if ((compareVersions(version, MIN_NODE_VERSION) ?? -1) >= 0) return undefined;
  return `clawtell needs Node.js ${MIN_NODE_VERSION} or newer; this is Node.js ${version.replace(/^v/, "")}`;
}
