/**
 * PostgreSQL text cannot hold U+0000, which a message body (any JSON string) may contain. Such strings are stored
 * escaped: a U+FDD0 mark (a noncharacter), then the string with `\` doubled and U+0000 as `\0`. Strings that start with
 * the mark are escaped too, so the mapping is one-to-one and equal strings stay equal in the database. Every other
 * string is stored as it is.
 */

const MARK = "\uFDD0";

export function encodeText(text: string): string {
  if (!text.includes("\u0000") && !text.startsWith(MARK)) return text;
  return MARK + text.replace(/\\/g, "\\\\").replace(/\u0000/g, "\\0");
}

export function decodeText(stored: string): string {
  if (!stored.startsWith(MARK)) return stored;
  return stored.slice(MARK.length).replace(/\\([\\0])/g, (_, c: string) => (c === "0" ? "\u0000" : "\\"));
}

/** A statement parameter as stored: strings (also inside arrays) escaped, everything else as given. */
export function encodeParam(value: unknown): unknown {
  if (typeof value === "string") return encodeText(value);
  if (Array.isArray(value)) return value.map(encodeParam);
  return value;
}

/** A result row as the ports answer it: its string columns unescaped. */
export function decodeRow<R extends Record<string, unknown>>(row: R): R {
  for (const key of Object.keys(row)) {
    const value = row[key];
    if (typeof value === "string" && value.startsWith(MARK)) (row as Record<string, unknown>)[key] = decodeText(value);
  }
  return row;
}
