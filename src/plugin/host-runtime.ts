/**
 * The slice of OpenClaw's plugin runtime the adapter uses, in narrow structural types named after the real API
 * (`routing.buildAgentSessionKey`, `inbound.ingress.resolveStable`, `inbound.buildContext`, `inbound.dispatch`,
 * `media.saveResponseMedia`).
 * The real runtime is checked against these types where it is wired (openclaw-bridge.ts); tests pass plain objects.
 */

/** The channel id of this plugin in OpenClaw (`channels.clawtell`, session keys, targets). */
export const CHANNEL_ID = "clawtell";

/** How the human runs our commands inside OpenClaw, for hints in notices and alerts. */
export const OPENCLAW_OPERATOR_COMMAND = `openclaw ${CHANNEL_ID}`;

/** Per-peer sessions: one session per ClawTell sender, never the agent's main session (that holds the human's route). */
export const DM_SCOPE = "per-account-channel-peer";

export interface SessionKeyParams {
  readonly agentId: string;
  readonly channel: string;
  readonly accountId: string;
  readonly peer: { readonly kind: "direct"; readonly id: string };
  readonly dmScope: typeof DM_SCOPE;
}

/** What the ingress resolver answers; the full object is handed back to `buildContext` unchanged. */
export interface IngressLike {
  readonly ingress: { readonly admission: string; readonly decision: string };
}

export interface IngressParams<TCfg> {
  channelId: string;
  accountId: string;
  cfg: TCfg;
  identity: { key: string; entryIdPrefix: string };
  subject: { stableId: string };
  conversation: { kind: "direct"; id: string };
  contextBinding: { agentId: string; sessionKey: string; messageId: string; inboundEventKind: "user_request" };
  dmPolicy: "open";
  allowFrom: string[];
}

export interface BuildContextParams<TIngress> {
  channel: string;
  accountId: string;
  provider: string;
  surface: string;
  messageId: string;
  timestamp: number;
  from: string;
  sender: { id: string; name: string };
  conversation: { kind: "direct"; id: string; label: string };
  route: { agentId: string; dmScope: typeof DM_SCOPE; accountId: string; routeSessionKey: string; dispatchSessionKey: string };
  reply: { to: string; originatingTo: string; replyToId?: string };
  message: { body: string; bodyForAgent: string; rawBody: string };
  channelIngress: TIngress;
  /** Files of the message in OpenClaw's media store, in order (core's `InboundMediaFacts`). */
  media?: MediaFactLike[];
}

/** One inbound file as OpenClaw's turn context takes it: OpenClaw stages it into the agent's workspace. */
export interface MediaFactLike {
  readonly path: string;
  readonly contentType?: string;
  readonly fileName?: string;
}

/** OpenClaw's media store (`api.runtime.channel.media`): saves a response body we fetched ourselves. */
export interface HostMedia {
  readonly saveResponseMedia: (
    res: Response,
    options: { subdir: string; maxBytes: number; originalFilename: string; filePathHint: string; fallbackContentType: string },
  ) => Promise<{ readonly path: string; readonly contentType?: string }>;
}

/** One reply payload of the agent (core's ReplyPayload carries more; we read the text). */
export interface ReplyPayloadLike {
  readonly text?: string;
}

export interface DispatchParams<TCfg, TCtx> {
  cfg: TCfg;
  channel: string;
  accountId: string;
  route: { agentId: string; dmScope: typeof DM_SCOPE; sessionKey: string };
  ctxPayload: TCtx;
  delivery: {
    deliver: (payload: ReplyPayloadLike, info: { kind: string }) => Promise<void>;
    onError: (err: unknown, info: { kind: string }) => void;
  };
  replyOptions: { sourceReplyDeliveryMode: "automatic" };
}

export interface DispatchResultLike {
  readonly admission: { readonly kind: string; readonly reason?: string };
  readonly dispatched: boolean;
  /** Set when OpenClaw queued the message behind a turn already running in the session (`followup`, `steer`, …). */
  readonly dispatchResult?: { readonly deferredToActiveRun?: string };
}

/** `api.runtime.channel` / `ctx.channelRuntime`, the parts we call. */
export interface ChannelRuntimeSlice<TCfg, TIngress extends IngressLike, TCtx> {
  readonly routing: { readonly buildAgentSessionKey: (params: SessionKeyParams) => string };
  readonly inbound: {
    readonly ingress: { readonly resolveStable: (params: IngressParams<TCfg>) => Promise<TIngress> };
    readonly buildContext: (params: BuildContextParams<TIngress>) => TCtx;
    readonly dispatch: (params: DispatchParams<TCfg, TCtx>) => Promise<DispatchResultLike>;
  };
  /** Absent in a host without a media store: attachments are then read where we downloaded them. */
  readonly media?: HostMedia;
}

/** A session row as `runtime.agent.session.listSessionEntries` returns it (the fields the chat lookup reads). */
export interface SessionRowLike {
  readonly sessionKey: string;
  readonly entry: {
    readonly updatedAt?: number;
    readonly lastInteractionAt?: number;
    readonly delivery?: { readonly kind?: string; readonly context?: { channel?: string; to?: string; accountId?: string; threadId?: string | number } };
  };
}

/** Sends texts to another channel of OpenClaw (`sendDurableMessageBatch` from `plugin-sdk/channel-outbound`). */
export type ChatBatchSender<TCfg> = (params: {
  cfg: TCfg;
  channel: string;
  to: string;
  accountId?: string;
  threadId?: string;
  payloads: ChatPayload[];
}) => Promise<{ readonly status: string; readonly error?: unknown }>;

/** One outbound payload: a text, or a local media file (a path in OpenClaw's media store) the chat plugin uploads. */
export type ChatPayload = { readonly text: string } | { readonly mediaUrl: string };
