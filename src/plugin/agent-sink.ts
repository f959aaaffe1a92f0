/**
 * The OpenClaw agent sink: the dispatch half (agent-dispatch.ts) runs the agent's turn and hands its answer to the
 * delivery loop, which keeps it in the queue and then calls the reply half (agent-reply.ts).
 */

import type { Sink } from "../daemon/index.js";
import { createAgentDispatch, type AgentDispatchDeps } from "./agent-dispatch.js";
import { createAgentReply, type AgentReplyDeps } from "./agent-reply.js";
import type { IngressLike } from "./host-runtime.js";

export type AgentSinkDeps<TCfg, TIngress extends IngressLike, TCtx> = Omit<AgentDispatchDeps<TCfg, TIngress, TCtx>, "reply"> & AgentReplyDeps;

export function createAgentSink<TCfg, TIngress extends IngressLike, TCtx>(deps: AgentSinkDeps<TCfg, TIngress, TCtx>): Sink {
  const reply = createAgentReply(deps);
  const { dispatch } = createAgentDispatch({ ...deps, reply });
  return { deliver: dispatch, reply: reply.sendReply };
}
