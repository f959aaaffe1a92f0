/**
 * `isoTime(ms)`: `new Date(ms).toISOString()`, quicker. Every send answers its time and every message handed out
 * carries its own, and `toISOString` costs about a microsecond each time; the text up to the second is the same for
 * every moment of that second, so it is made once per second and only the milliseconds are added.
 */

/** The largest distance from the epoch a Date holds, in ms. */
const MAX_TIME_MS = 8.64e15;

let cachedSecond = Number.NaN;
/** `YYYY-MM-DDTHH:MM:SS.` of `cachedSecond`. */
let cachedPrefix = "";

/** The moment `ms` (epoch milliseconds) as `toISOString` writes it; a RangeError for an invalid time, as there. */
export function isoTime(ms: number): string {
  if (!Number.isInteger(ms) || Math.abs(ms) > MAX_TIME_MS) return new Date(ms).toISOString();
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, -4);
    cachedSecond = second;
  }
  const milli = ms - second * 1000;
  return `${cachedPrefix}${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`;
}
