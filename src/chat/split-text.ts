/**
 * Splits a long text into parts a chat accepts (lengths in UTF-16 code units, the stricter count). Cuts prefer a
 * paragraph break, then a line break, then a space, in the second half of the window; else the last grapheme
 * boundary, so an emoji (surrogate pair, ZWJ sequence, flag) is never cut in two. The separator at a cut is dropped.
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * The last grapheme boundary in (0, maxChars]. The window includes the character at `maxChars`, which is all the
 * segmenter needs to decide the boundary there. A single grapheme longer than the window is cut surrogate-safely.
 */
function graphemeCut(text: string, maxChars: number): number {
  let cut = 0;
  for (const { index } of segmenter.segment(text.slice(0, maxChars + 1))) if (index <= maxChars) cut = index;
  if (cut > 0) return cut;
  const code = text.charCodeAt(maxChars - 1);
  return code >= 0xd800 && code <= 0xdbff ? maxChars - 1 : maxChars;
}

/** Where to cut `text` (longer than `maxChars`) and how many separator characters to drop there. */
function findCut(text: string, maxChars: number): { at: number; skip: number } {
  const floor = Math.floor(maxChars / 2);
  for (const separator of ["\n\n", "\n", " "]) {
    const at = text.lastIndexOf(separator, maxChars);
    if (at >= floor && at <= maxChars) return { at, skip: separator.length };
  }
  return { at: graphemeCut(text, maxChars), skip: 0 };
}

/** Parts of at most `maxChars`, in order; an empty text gives no part. */
export function splitText(text: string, maxChars: number): string[] {
  if (!Number.isInteger(maxChars) || maxChars < 2) throw new RangeError(`maxChars must be an integer ≥ 2, got ${maxChars}`);
  const parts: string[] = [];
  let rest = text;
  while (rest.length > maxChars) {
    const { at, skip } = findCut(rest, maxChars);
    parts.push(rest.slice(0, at));
    rest = rest.slice(at + skip);
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}
