// Reading the shipped systemd units in tests.

/** The unit's `Key=value` lines of one section, in order. */
export function unitSection(unit: string, name: string): Array<[string, string]> {
  const lines = unit.split("\n").map((l) => l.trim());
  const start = lines.indexOf(`[${name}]`);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && l.startsWith("["));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]);
}
