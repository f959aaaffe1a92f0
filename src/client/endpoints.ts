/**
 * Where each ClawTell call goes: REST under `{baseUrl}/api`, the stream and its ack under `{sseUrl}/v1`, and the
 * query values clamped the way the official clients clamp them. Pure functions, no I/O.
 */

/** Longest long poll the API accepts, in seconds. */
export const POLL_TIMEOUT_MAX_S = 30;
/** Most messages one poll may return. */
export const POLL_LIMIT_MAX = 100;
/** Extra time a long-poll request gets beyond the server's hold time before we give up on it. */
export const POLL_GRACE_MS = 5_000;
/** Most ids the server takes in one ack request (it refuses more than 1000). */
export const ACK_CHUNK_SIZE = 500;

/** `https://host/` → `https://host`: the SDKs strip trailing slashes; `/api` must not be part of `baseUrl`. */
export function normalizeOrigin(url: string): string {
  return url.trim().replace(/\/+$/, "");
}

/**
 * The per-name lists, under `/api`: the auto-reply allowlist (who the agent may answer on its own) and the delivery
 * allowlist and blocklist (who may message the name at all, per its `delivery_policy`).
 */
export const POLICY_LIST_PATHS = {
  auto_reply: "/allowlist",
  delivery_allow: "/delivery/allowlist",
  delivery_block: "/delivery/blocklist",
} as const;
export type PolicyList = keyof typeof POLICY_LIST_PATHS;

/** `{baseUrl}/api{path}` with an optional query. */
export function apiUrl(baseUrl: string, path: string, query?: Record<string, string | number>): string {
  return `${baseUrl}/api${path}${toQuery(query)}`;
}

/** `{sseUrl}/v1/stream?timeout=…&limit=…[&account=true]`. */
export function streamUrl(sseUrl: string, options: { account: boolean; timeoutS: number; limit: number }): string {
  return `${sseUrl}/v1/stream${toQuery({ timeout: options.timeoutS, limit: options.limit, ...(options.account ? { account: "true" } : {}) })}`;
}

/** `{sseUrl}/v1/ack`: the streaming host's ack endpoint. */
export function sseAckUrl(sseUrl: string): string {
  return `${sseUrl}/v1/ack`;
}

/** Long-poll query values within the API's range: timeout 0–30 s (whole seconds), limit 1–100. */
export function clampPoll(timeoutS: number | undefined, limit: number | undefined): { timeoutS: number; limit: number } {
  return {
    timeoutS: clamp(Math.trunc(timeoutS ?? POLL_TIMEOUT_MAX_S), 0, POLL_TIMEOUT_MAX_S),
    limit: clamp(Math.trunc(limit ?? 50), 1, POLL_LIMIT_MAX),
  };
}

/** Splits ids into request-sized chunks. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function clamp(n: number, min: number, max: number): number {
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : max;
}

function toQuery(query: Record<string, string | number> | undefined): string {
  if (query === undefined || Object.keys(query).length === 0) return "";
  return `?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
}
