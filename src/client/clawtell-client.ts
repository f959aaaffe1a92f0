/**
 * The ClawTell API client: REST calls on `baseUrl` (`/api/...`), streams and `/v1/ack` on `sseUrl` (the same origin
 * unless configured otherwise). Every call is abortable and fails with a ClawTellError.
 */

import type { Dispatcher } from "undici";
import { z } from "zod";
import { createSilentLogger, isClawTellError, systemClock, type Clock, type Logger } from "../infra/index.js";
import {
  AckResponseSchema,
  MeResponseSchema,
  LookupResponseSchema,
  PollResponseSchema,
  stripNamePrefix,
  type LookupResponse,
  type MeResponse,
  type Message,
} from "../protocol/index.js";
import { callJson, type HttpDeps } from "./http.js";

export interface ClawTellClientOptions {
  /** API origin without `/api`, e.g. `https://www.clawtell.com`. */
  readonly baseUrl: string;
  /** Streaming origin; defaults to `baseUrl`. */
  readonly sseUrl?: string;
  readonly apiKey: string;
  readonly dispatcher?: Dispatcher;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** @defaultValue 30000 */
  readonly requestTimeoutMs?: number;
}

export interface SendInput {
  readonly to: string;
  readonly body: string;
  readonly subject?: string;
  readonly replyTo?: string;
  /** Another name of the key's account to send as. */
  readonly fromName?: string;
  readonly threadId?: string;
}

export interface SendResult {
  /** Absent when the message waits for its owner's approval. */
  readonly messageId?: string;
  readonly sentAt?: string;
  readonly to: string;
  readonly status: "sent" | "pending_approval";
}

export interface PollOptions {
  /** Seconds the server may hold the request. @defaultValue 30 */
  readonly timeoutS?: number;
  /** @defaultValue 50 */
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

export interface ClawTellClient {
  readonly baseUrl: string;
  readonly sseUrl: string;
  readonly apiKey: string;
  send(input: SendInput, signal?: AbortSignal): Promise<SendResult>;
  poll(options?: PollOptions): Promise<Message[]>;
  pollAccount(options?: PollOptions): Promise<Message[]>;
  ack(ids: readonly string[], signal?: AbortSignal): Promise<void>;
  me(signal?: AbortSignal): Promise<MeResponse>;
  lookup(name: string, signal?: AbortSignal): Promise<LookupResponse>;
  /** The same client speaking with another key (per-route reply keys). */
  withKey(apiKey: string): ClawTellClient;
}

const SendAnswerSchema = z.object({
  success: z.boolean().optional(),
  messageId: z.string().optional(),
  sentAt: z.string().optional(),
  to: z.string().optional(),
});

export function createClawTellClient(options: ClawTellClientOptions): ClawTellClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const sseUrl = (options.sseUrl ?? baseUrl).replace(/\/+$/, "");
  const logger = options.logger ?? createSilentLogger();
  const deps: HttpDeps = {
    clock: options.clock ?? systemClock,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
  };
  const key = options.apiKey;
  const api = (path: string): string => `${baseUrl}/api${path}`;
  const withSignal = (signal: AbortSignal | undefined): { signal?: AbortSignal } => (signal === undefined ? {} : { signal });

  const pollPath = async (path: string, o: PollOptions): Promise<Message[]> => {
    const timeoutS = Math.min(30, Math.max(0, o.timeoutS ?? 30));
    const limit = Math.min(100, Math.max(1, o.limit ?? 50));
    const { data } = await callJson(
      deps,
      { method: "GET", url: api(`${path}?timeout=${timeoutS}&limit=${limit}`), apiKey: key, timeoutMs: (timeoutS + 5) * 1000, ...withSignal(o.signal) },
      PollResponseSchema,
    );
    return data.messages;
  };

  return {
    baseUrl,
    sseUrl,
    apiKey: key,
    async send(input, signal) {
      const to = stripNamePrefix(input.to);
      const body = {
        to,
        body: input.body,
        subject: input.subject ?? "Message",
        ...(input.replyTo === undefined ? {} : { replyTo: input.replyTo }),
        ...(input.fromName === undefined ? {} : { from_name: stripNamePrefix(input.fromName) }),
        ...(input.threadId === undefined ? {} : { threadId: input.threadId }),
      };
      const { status, data } = await callJson(deps, { method: "POST", url: api("/messages/send"), apiKey: key, body, ...withSignal(signal) }, SendAnswerSchema);
      return {
        status: status === 202 ? "pending_approval" : "sent",
        to: data.to ?? `tell/${to}`,
        ...(data.messageId === undefined ? {} : { messageId: data.messageId }),
        ...(data.sentAt === undefined ? {} : { sentAt: data.sentAt }),
      };
    },
    poll: (o = {}) => pollPath("/messages/poll", o),
    pollAccount: (o = {}) => pollPath("/messages/poll-account", o),
    async ack(ids, signal) {
      if (ids.length === 0) return;
      const body = { messageIds: [...ids] };
      if (sseUrl !== baseUrl) {
        // A separate streaming host takes acks too; fall back to the API host when it is unreachable or failing.
        try {
          await callJson(deps, { method: "POST", url: `${sseUrl}/v1/ack`, apiKey: key, body, ...withSignal(signal) }, AckResponseSchema);
          return;
        } catch (err) {
          if (!isClawTellError(err) || !err.retryable) throw err;
          logger.warn({ err }, "ack via the streaming host failed; using the API host");
        }
      }
      await callJson(deps, { method: "POST", url: api("/messages/ack"), apiKey: key, body, ...withSignal(signal) }, AckResponseSchema);
    },
    async me(signal) {
      return (await callJson(deps, { method: "GET", url: api("/me"), apiKey: key, ...withSignal(signal) }, MeResponseSchema)).data;
    },
    async lookup(name, signal) {
      const bare = encodeURIComponent(stripNamePrefix(name));
      return (await callJson(deps, { method: "GET", url: api(`/names/${bare}`), apiKey: key, ...withSignal(signal) }, LookupResponseSchema)).data;
    },
    withKey: (apiKey) => createClawTellClient({ ...options, apiKey }),
  };
}
