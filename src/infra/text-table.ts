/** Plain-text tables a person can read in a terminal. */

/** A cell is one line: text that spans lines (an error naming several fields) is joined with spaces. */
const oneLine = (cell: string): string => cell.replace(/\s*\n\s*/g, " ");

export function renderTable(headers: readonly string[], cellRows: ReadonlyArray<readonly string[]>): string {
  const rows = cellRows.map((r) => r.map(oneLine));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export const shorten = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
export const isoOf = (ms: number | undefined): string => (ms === undefined ? "-" : new Date(ms).toISOString().replace(/\.\d+Z$/, "Z"));
