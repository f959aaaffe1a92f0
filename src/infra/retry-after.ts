/**
 * `Retry-After` in both of its forms (RFC 9110 §10.2.3): a delay in seconds, or an HTTP date. The one reader of the
 * header for the ClawTell client, the webhook sink and the chat senders. Seconds with a fraction (some services send
 * them) are rounded up.
 */

/** An HTTP date always names the weekday or month (IMF-fixdate, RFC 850 and asctime forms). */
const HTTP_DATE_SHAPE = /^[A-Za-z]{3}/;

/** Milliseconds to wait from `nowMs`, or `undefined` when the header is missing or unreadable (never NaN). */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (text === undefined || text === "") return undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  // Date.parse also accepts things like "-5" (a year); only a real HTTP date counts.
  if (!HTTP_DATE_SHAPE.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
