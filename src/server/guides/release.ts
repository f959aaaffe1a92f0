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
