/**
 * What a wait needs of the thing that may cut it short: whether it has fired, and an `abort` listener to add and
 * remove. An `AbortSignal` is one; so is a lighter signal made for the purpose (the server's per-connection one, see
 * src/server/routes/connection-gone.ts), for what waits by the thousand.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}
