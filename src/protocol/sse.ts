/** Server-Sent Events of `GET /v1/stream`: event names and payloads. */

import { z } from "zod";

export const SSE_EVENTS = ["connected", "message", "timeout", "error"] as const;
export type SseEventName = (typeof SSE_EVENTS)[number];

export const STREAM_TIMEOUT_DEFAULT_S = 120;
export const STREAM_TIMEOUT_MAX_S = 3600;
export const STREAM_LIMIT_DEFAULT = 50;
/** Keepalive comment interval; the reference plugin declares a stream dead after 150 s of silence. */
export const STREAM_KEEPALIVE_MS = 15_000;

export const ConnectedEventSchema = z.object({
  name: z.string(),
  accountId: z.string(),
  timeout: z.number(),
  lastEventId: z.string().nullable(),
  account: z.boolean().optional(),
});
export type ConnectedEvent = z.infer<typeof ConnectedEventSchema>;

export const StreamQuerySchema = z.object({
  timeout: z.coerce.number().int().min(1).max(STREAM_TIMEOUT_MAX_S).default(STREAM_TIMEOUT_DEFAULT_S),
  limit: z.coerce.number().int().min(1).max(1000).default(STREAM_LIMIT_DEFAULT),
  account: z
    .union([z.string(), z.boolean()])
    .optional()
    .transform((v) => v === true || v === "true" || v === "1"),
});
export type StreamQuery = z.output<typeof StreamQuerySchema>;
