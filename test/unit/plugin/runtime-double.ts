// A hand-made stand-in for the parts of OpenClaw's plugin runtime the adapter calls (routing, ingress, context,
// dispatch, session rows, chat sends). It behaves like the real one as verified in the headless runs: per-peer session
// keys, an ingress verdict, and a dispatch that "runs the agent" by calling deliver() with the scripted reply.
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ChannelRuntimeSlice, ChatBatchSender, DispatchParams, HostMedia, IngressLike, SessionRowLike } from "../../../src/plugin/index.js";

export interface FakeContext {
  readonly params: Record<string, unknown>;
}

export interface RuntimeDouble {
  readonly runtime: ChannelRuntimeSlice<{ tag: string }, IngressLike & { subject: string }, FakeContext>;
  readonly dispatched: Array<DispatchParams<{ tag: string }, FakeContext>>;
  readonly contexts: FakeContext[];
  readonly chatSends: Array<Parameters<ChatBatchSender<{ tag: string }>>[0]>;
  readonly sendBatch: ChatBatchSender<{ tag: string }>;
  sessions: Record<string, SessionRowLike[]>;
  /** What the "agent" answers (final payloads); empty = no reply. */
  replies: string[];
  admission: string;
  dispatchError?: Error;
  /** Set: OpenClaw queues the message behind a turn already running (no finals come back to the sink). */
  deferred?: "followup" | "steer";
  chatStatus: string;
  /** The `error` OpenClaw reports with a failed send. */
  chatError?: Error;
}

export const CFG = { tag: "openclaw-config" };

export function createRuntimeDouble(): RuntimeDouble {
  const double: RuntimeDouble = {
    dispatched: [],
    contexts: [],
    chatSends: [],
    sessions: {},
    replies: ["FAKE AGENT REPLY"],
    admission: "dispatch",
    chatStatus: "sent",
    sendBatch: async (params) => {
      double.chatSends.push(params);
      return { status: double.chatStatus, ...(double.chatError === undefined ? {} : { error: double.chatError }) };
    },
    runtime: {
      routing: {
        buildAgentSessionKey: ({ agentId, channel, accountId, peer }) => `agent:${agentId}:${channel}:${accountId}:direct:${peer.id}`,
      },
      inbound: {
        ingress: {
          resolveStable: async (params) => ({ ingress: { admission: double.admission, decision: double.admission === "dispatch" ? "allow" : "block" }, subject: params.subject.stableId }),
        },
        buildContext: (params) => {
          const ctx = { params: params as unknown as Record<string, unknown> };
          double.contexts.push(ctx);
          return ctx;
        },
        dispatch: async (params) => {
          double.dispatched.push(params);
          if (double.dispatchError !== undefined) throw double.dispatchError;
          if (double.admission !== "dispatch") return { admission: { kind: "drop", reason: "blocked" }, dispatched: false };
          if (double.deferred !== undefined) return { admission: { kind: "dispatch" }, dispatched: true, dispatchResult: { deferredToActiveRun: double.deferred } };
          await params.delivery.deliver({ text: "thinking…" }, { kind: "block" });
          for (const text of double.replies) await params.delivery.deliver({ text }, { kind: "final" });
          return { admission: { kind: "dispatch" }, dispatched: true };
        },
      },
    },
  };
  return double;
}

/** A session row whose delivery context points at a chat. */
export function chatRow(sessionKey: string, channel: string, to: string, at: number, accountId = "default"): SessionRowLike {
  return { sessionKey, entry: { updatedAt: at, lastInteractionAt: at, delivery: { kind: "external", context: { channel, to, accountId } } } };
}

/**
 * OpenClaw's media store (`runtime.channel.media.saveResponseMedia`) as the real one behaves: the response body is
 * saved under `<dir>/<subdir>/<uuid>-<original name>` and its path and type are answered; a body over `maxBytes`, or of
 * a type in `refused`, is refused with an error.
 */
export function createMediaStoreDouble(dir: string, refused: ReadonlySet<string> = new Set()): HostMedia & { readonly saved: string[] } {
  const saved: string[] = [];
  return {
    saved,
    saveResponseMedia: async (res, options) => {
      const contentType = res.headers.get("content-type") ?? options.fallbackContentType;
      if (refused.has(contentType)) throw new Error(`unsupported media type ${contentType}`);
      const body = Buffer.from(await res.arrayBuffer());
      if (body.length > options.maxBytes) throw new Error(`media exceeds ${options.maxBytes} bytes`);
      await mkdir(join(dir, options.subdir), { recursive: true });
      const path = join(dir, options.subdir, `${randomUUID()}-${options.originalFilename.replace(/[^\w.-]/g, "_")}`);
      await writeFile(path, body, { mode: 0o600 });
      saved.push(path);
      return { path, contentType };
    },
  };
}
