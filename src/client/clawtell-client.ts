/**
 * The ClawTell API client: REST calls on `baseUrl` (`/api/...`), the stream and `/v1/ack` on `sseUrl` (the same
 * origin unless configured otherwise). Every call is abortable and fails with a ClawTellError; nothing is retried
 * here (see `withRetry`).
 */

import type { Dispatcher } from "undici";
import { createSilentLogger, isClawTellError, systemClock, type Clock, type Logger } from "../infra/index.js";
import {
  AckResponseSchema,
  FileLinkAnswerSchema,
  LookupResponseSchema,
  MeResponseSchema,
  PollResponseSchema,
  SendPendingResponseSchema,
  SendResponseSchema,
  stripNamePrefix,
  type AttachmentUpload,
  UpdateNameResponseSchema,
  type CommunicationMode,
  type DeliveryPolicy,
  type LookupResponse,
  type MeResponse,
  type Message,
  type SendPendingResponse,
  type SendResponse,
} from "../protocol/index.js";
import { ACK_CHUNK_SIZE, apiUrl, chunk, clampPoll, normalizeOrigin, POLICY_LIST_PATHS, POLL_GRACE_MS, sseAckUrl, type PolicyList } from "./endpoints.js";
import { ListAnswerSchema, ListChangeAnswerSchema } from "./list-answers.js";
import { callJson, fetchBytes, type HttpDeps } from "./http.js";
import { openStream, openStreamBatches, type StreamEvent, type StreamRequest } from "./sse-stream.js";

/** Where and how the client talks to ClawTell; everything but the key and origin is injectable for tests. */
export interface ClawTellClientOptions {
  /** API origin without `/api`, e.g. `https://www.clawtell.com`; a trailing `/` is ignored. */
  readonly baseUrl: string;
  /** Streaming origin (`/v1/stream`, `/v1/ack`). @defaultValue baseUrl */
  readonly sseUrl?: string;
  readonly apiKey: string;
  /** undici dispatcher for every request. @defaultValue the global dispatcher */
  readonly dispatcher?: Dispatcher;
  /** @defaultValue systemClock */
  readonly clock?: Clock;
  /** @defaultValue a silent logger */
  readonly logger?: Logger;
  /** Timeout of one request (long polls get their hold time plus 5 s instead). @defaultValue 30000 */
  readonly requestTimeoutMs?: number;
}

/** Per-call options. */
export interface RequestOptions {
  readonly signal?: AbortSignal;
  /** Overrides the client's `requestTimeoutMs` for this call. */
  readonly timeoutMs?: number;
}

/** One outbound message. */
export interface SendInput {
  /** Recipient, bare or `tell/`-prefixed. */
  readonly to: string;
  readonly body: string;
  /** @defaultValue "Message" */
  readonly subject?: string;
  /** Id of the message this answers. */
  readonly replyTo?: string;
  /** Another name of the key's account to send as. */
  readonly fromName?: string;
  readonly threadId?: string;
  /** Files carried in the request (base64), as `readAttachmentFiles` makes them. */
  readonly attachments?: readonly AttachmentUpload[];
}

/** What a send achieved. */
export interface SendResult {
  /** Absent when the message waits for its owner's approval. */
  readonly messageId?: string;
  readonly sentAt?: string;
  /** `tell/<recipient>`. */
  readonly to: string;
  /** `pending_approval` for a 202: queued for the owner's approval; never retried. */
  readonly status: "sent" | "pending_approval";
}

/** One long poll. */
export interface PollOptions {
  /** Seconds the server may hold the request (0–30). @defaultValue 30 */
  readonly timeoutS?: number;
  /** Most messages returned (1–100). @defaultValue 50 */
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

/** A name's settings to change (`PATCH /api/names/{name}`); absent ones stay as they are. */
export interface NameSettingsInput {
  readonly communicationMode?: CommunicationMode;
  readonly deliveryPolicy?: DeliveryPolicy;
}

/** A name's settings after a change. */
export interface NameSettings {
  readonly name: string;
  readonly communicationMode: CommunicationMode;
  readonly deliveryPolicy: DeliveryPolicy;
}

/** The ClawTell API for one key. */
export interface ClawTellClient {
  readonly baseUrl: string;
  readonly sseUrl: string;
  readonly apiKey: string;
  /**
   * `POST /api/messages/send`. Not retried here; the API has no idempotency key, so retrying a send whose answer was
   * lost (timeout, reset) may deliver it twice.
   */
  send(input: SendInput, options?: RequestOptions | AbortSignal): Promise<SendResult>;
  /** `GET /api/messages/poll`: the key's own name; returns at once when messages wait, else holds up to `timeoutS`. */
  poll(options?: PollOptions): Promise<Message[]>;
  /** `GET /api/messages/poll-account`: every name of the key's account, each message with its `to_name`. */
  pollAccount(options?: PollOptions): Promise<Message[]>;
  /**
   * Acknowledges messages so they are not delivered again. No request for an empty list. Uses `{sseUrl}/v1/ack` when
   * the streaming host differs from the API host, falling back to `/api/messages/ack` when that host cannot be
   * reached, times out or answers 5xx.
   */
  ack(ids: readonly string[], options?: RequestOptions | AbortSignal): Promise<void>;
  /** `GET /api/me`: the key's own name and settings. */
  me(options?: RequestOptions | AbortSignal): Promise<MeResponse>;
  /** `PATCH /api/names/{name}`: the auto-reply mode and delivery policy of a name of the key's account. */
  updateName(name: string, settings: NameSettingsInput, options?: RequestOptions | AbortSignal): Promise<NameSettings>;
  /**
   * The bare names on one of the key's name's lists: `auto_reply` (`GET /api/allowlist`), `delivery_allow`
   * (`GET /api/delivery/allowlist`) or `delivery_block` (`GET /api/delivery/blocklist`).
   */
  listEntries(list: PolicyList, options?: RequestOptions | AbortSignal): Promise<string[]>;
  /** `POST` to the list with `{ name }` (bare or `tell/`-prefixed); adding a name already there changes nothing. */
  addToList(list: PolicyList, name: string, options?: RequestOptions | AbortSignal): Promise<void>;
  /** `DELETE` the name from the list; false when the server says it was not there. */
  removeFromList(list: PolicyList, name: string, options?: RequestOptions | AbortSignal): Promise<boolean>;
  /** `GET /api/names/{name}`: a public lookup (404 → CT_NOT_FOUND). */
  lookup(name: string, options?: RequestOptions | AbortSignal): Promise<LookupResponse>;
  /**
   * An attachment's bytes: `GET /api/files/{fileId}` for a signed link, then that link without the key (it may point
   * at another host). More than `maxBytes` fails with CT_API_REJECTED.
   */
  downloadFile(fileId: string, maxBytes: number, options?: RequestOptions | AbortSignal): Promise<Buffer>;
  /** One stream connection, event by event. */
  openStream(request: StreamRequest): AsyncGenerator<StreamEvent, void, undefined>;
  /** One stream connection, the events of each network read together. */
  openStreamBatches(request: StreamRequest): AsyncGenerator<StreamEvent[], void, undefined>;
  /** The same client speaking with another key (per-route reply keys). */
  withKey(apiKey: string): ClawTellClient;
}

function requestOptionsOf(options: RequestOptions | AbortSignal | undefined): RequestOptions {
  if (options === undefined) return {};
  return options instanceof AbortSignal ? { signal: options } : options;
}

/** Retryable transport trouble on the streaming host: worth trying the API host instead. */
function isHostTrouble(err: unknown): boolean {
  return isClawTellError(err) && (err.code === "CT_API_UNREACHABLE" || err.code === "CT_TIMEOUT" || err.code === "CT_API_SERVER_ERROR");
}

/** Creates a client for one key; it holds no connection until a call is made. */
export function createClawTellClient(options: ClawTellClientOptions): ClawTellClient {
  const baseUrl = normalizeOrigin(options.baseUrl);
  const sseUrl = normalizeOrigin(options.sseUrl ?? baseUrl);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createSilentLogger();
  const deps: HttpDeps = {
    clock,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
  };
  const apiKey = options.apiKey;
  const call = (o: RequestOptions | AbortSignal | undefined) => {
    const { signal, timeoutMs } = requestOptionsOf(o);
    return { apiKey, ...(signal === undefined ? {} : { signal }), ...(timeoutMs === undefined ? {} : { timeoutMs }) };
  };
  const streamOptions = (request: StreamRequest) => ({
    ...request,
    sseUrl,
    apiKey,
    clock,
    logger,
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
  });

  const pollPath = async (path: string, o: PollOptions): Promise<Message[]> => {
    const { timeoutS, limit } = clampPoll(o.timeoutS, o.limit);
    const { data } = await callJson(
      deps,
      { method: "GET", url: apiUrl(baseUrl, path, { timeout: timeoutS, limit }), ...call({ ...(o.signal === undefined ? {} : { signal: o.signal }), timeoutMs: timeoutS * 1000 + POLL_GRACE_MS }) },
      PollResponseSchema,
    );
    return data.messages;
  };

  const ackChunk = async (ids: string[], o: RequestOptions | AbortSignal | undefined): Promise<void> => {
    const body = { messageIds: ids };
    if (sseUrl !== baseUrl) {
      try {
        await callJson(deps, { method: "POST", url: sseAckUrl(sseUrl), body, ...call(o) }, AckResponseSchema);
        return;
      } catch (err) {
        // A 4xx is the API's answer and stands; an unreachable or failing streaming host is not the API's word.
        if (!isHostTrouble(err)) throw err;
        logger.warn({ err, count: ids.length }, "ack via the streaming host failed; using the API host");
      }
    }
    await callJson(deps, { method: "POST", url: apiUrl(baseUrl, "/messages/ack"), body, ...call(o) }, AckResponseSchema);
  };

  return {
    baseUrl,
    sseUrl,
    apiKey,
    async send(input, o) {
      const to = stripNamePrefix(input.to);
      const body = {
        to,
        body: input.body,
        subject: input.subject ?? "Message",
        ...(input.replyTo === undefined ? {} : { replyTo: input.replyTo }),
        ...(input.fromName === undefined ? {} : { from_name: stripNamePrefix(input.fromName) }),
        ...(input.threadId === undefined ? {} : { threadId: input.threadId }),
        ...(input.attachments === undefined || input.attachments.length === 0 ? {} : { attachments: input.attachments }),
      };
      const { status, data } = await callJson<SendResponse | SendPendingResponse>(
        deps,
        { method: "POST", url: apiUrl(baseUrl, "/messages/send"), body, ...call(o) },
        (answer) => (answer === 202 ? SendPendingResponseSchema : SendResponseSchema),
      );
      return {
        status: status === 202 ? "pending_approval" : "sent",
        to: data.to ?? `tell/${to}`,
        ...(data.messageId === undefined ? {} : { messageId: data.messageId }),
        ...(data.sentAt === undefined ? {} : { sentAt: data.sentAt }),
      };
    },
    poll: (o = {}) => pollPath("/messages/poll", o),
    pollAccount: (o = {}) => pollPath("/messages/poll-account", o),
    async ack(ids, o) {
      for (const part of chunk(ids, ACK_CHUNK_SIZE)) await ackChunk(part, o);
    },
    async me(o) {
      return (await callJson(deps, { method: "GET", url: apiUrl(baseUrl, "/me"), ...call(o) }, MeResponseSchema)).data;
    },
    async updateName(name, settings, o) {
      const bare = encodeURIComponent(stripNamePrefix(name));
      const body = {
        ...(settings.communicationMode === undefined ? {} : { communication_mode: settings.communicationMode }),
        ...(settings.deliveryPolicy === undefined ? {} : { delivery_policy: settings.deliveryPolicy }),
      };
      const { data } = await callJson(deps, { method: "PATCH", url: apiUrl(baseUrl, `/names/${bare}`), body, ...call(o) }, UpdateNameResponseSchema);
      return { name: data.name, communicationMode: data.communication_mode, deliveryPolicy: data.delivery_policy };
    },
    async listEntries(list, o) {
      const { data } = await callJson(deps, { method: "GET", url: apiUrl(baseUrl, POLICY_LIST_PATHS[list]), ...call(o) }, ListAnswerSchema);
      return data;
    },
    async addToList(list, name, o) {
      const body = { name: stripNamePrefix(name) };
      await callJson(deps, { method: "POST", url: apiUrl(baseUrl, POLICY_LIST_PATHS[list]), body, ...call(o) }, ListChangeAnswerSchema);
    },
    async removeFromList(list, name, o) {
      const url = apiUrl(baseUrl, `${POLICY_LIST_PATHS[list]}/${encodeURIComponent(stripNamePrefix(name))}`);
      const { data } = await callJson(deps, { method: "DELETE", url, ...call(o) }, ListChangeAnswerSchema);
      return data.removed !== false;
    },
    async lookup(name, o) {
      const bare = encodeURIComponent(stripNamePrefix(name));
      return (await callJson(deps, { method: "GET", url: apiUrl(baseUrl, `/names/${bare}`), ...call(o) }, LookupResponseSchema)).data;
    },
    async downloadFile(fileId, maxBytes, o) {
      const { signal, timeoutMs } = requestOptionsOf(o);
      const url = apiUrl(baseUrl, `/files/${encodeURIComponent(fileId)}`);
      const { data: link } = await callJson(deps, { method: "GET", url, ...call(o) }, FileLinkAnswerSchema);
      const downloadDeps = timeoutMs === undefined ? deps : { ...deps, requestTimeoutMs: timeoutMs };
      return fetchBytes(downloadDeps, new URL(link, baseUrl).toString(), maxBytes, signal);
    },
    openStream: (request) => openStream(streamOptions(request)),
    openStreamBatches: (request) => openStreamBatches(streamOptions(request)),
    withKey: (key) => createClawTellClient({ ...options, apiKey: key }),
  };
}
