/**
 * What this release of the package says about itself: its name and version (package.json), its changelog
 * (CHANGELOG.md) and the agent-facing skill it ships (skills/clawtell/SKILL.md). The bundle carries them, put in by
 * scripts/bundle.ts at build time as `__CLAWTELL_RELEASE__`; run from a checkout (tests, the tsc output), they are
 * read once from the package's folder.
 */

import { readFileSync } from "node:fs";

export interface Release {
  /** The package's name, e.g. `openclaw-clawtell`. */
  readonly name: string;
  readonly version: string;
  /** CHANGELOG.md as written. */
  readonly changelog: string;
  /** The skill's markdown, front matter included. */
  readonly skill: string;
}

declare const __CLAWTELL_RELEASE__: Release | undefined;

let fromCheckout: Release | undefined;

/** The package's folder seen from this file: src/server/guides/ or dist/server/guides/ (not the bundle, which is given the release). */
const packageFile = (path: string): string => readFileSync(new URL(`../../../${path}`, import.meta.url), "utf8");

export function currentRelease(): Release {
  if (typeof __CLAWTELL_RELEASE__ !== "undefined") return __CLAWTELL_RELEASE__;
  if (fromCheckout === undefined) {
    const manifest = JSON.parse(packageFile("package.json")) as { name: string; version: string };
    fromCheckout = {
      name: manifest.name,
      version: manifest.version,
      changelog: packageFile("CHANGELOG.md"),
      skill: packageFile("skills/clawtell/SKILL.md"),
    };
  }
  return fromCheckout;
}

/**
 * Compares two versions by their numeric parts (`0.10.0` > `0.9.1`; a missing part counts as 0; anything after the
 * numbers, such as `-beta.1`, is ignored). Undefined when either is not a version.
 */
export function compareVersions(a: string, b: string): number | undefined {
  const parts = (v: string): number[] | undefined => {
    const match = /^v?(\d+(?:\.\d+)*)/.exec(v.trim());
    return match?.[1]?.split(".").map(Number);
  };
  const pa = parts(a);
  const pb = parts(b);
  if (pa === undefined || pb === undefined) return undefined;
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}
