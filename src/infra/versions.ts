/** Release versions as packages and the SDKs write them (`0.10.0`, `v24.16.1`, `1.2.0-beta.1`). */

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
