/**
 * A message's route, resolved once when it is taken in and carried on its job to the delivery loop, the sinks and the
 * human alerts. Jobs without one (queued by an older version, or dead letters an operator retried) are routed by the
 * current config when they are delivered. Secrets are never carried: they are looked up by the routing key at use.
 */

import { resolveRoute, routeSecretsOf, type ForwardTarget, type ResolvedAccount } from "../config/index.js";
import type { Message } from "../protocol/index.js";
import type { ResolvedRoute, RouteTarget } from "./contracts.js";
import type { Job, JobRoute, NewJob } from "./queue/index.js";

/** Routes one incoming message: the job to queue, its route included. */
export function routeAtIntake(account: ResolvedAccount, message: Message): NewJob {
  const resolved = resolveRoute(account, message.to_name);
  const { target } = resolved;
  const route: JobRoute = {
    target: target.kind === "webhook" ? { kind: "webhook", url: target.url, timeoutMs: target.timeoutMs } : target.kind === "command" ? { ...target, args: [...target.args] } : target,
    forward: resolved.forward,
    ...(resolved.forwardTo === undefined ? {} : { forwardTo: resolved.forwardTo }),
  };
  return { id: message.id, accountId: account.accountId, recipient: resolved.recipient, routeKey: resolved.routeKey, route, message };
}

/** The route a job carries, with its webhook's secret from the current config; routed now when it carries none. */
export function routeOf(job: Job, account: ResolvedAccount): ResolvedRoute {
  if (job.route === undefined) {
    const { replyApiKey: _key, ...resolved } = resolveRoute(account, job.recipient);
    return resolved;
  }
  const { webhookSecret } = routeSecretsOf(account, job.routeKey);
  const carried = job.route.target;
  const target: RouteTarget = carried.kind === "webhook" && webhookSecret !== undefined ? { ...carried, secret: webhookSecret } : carried;
  return {
    accountId: job.accountId,
    recipient: job.recipient,
    routeKey: job.routeKey,
    target,
    forward: job.route.forward,
    // Written from a ForwardTarget at intake.
    ...(job.route.forwardTo === undefined ? {} : { forwardTo: job.route.forwardTo as ForwardTarget }),
  };
}

/** The agent a route hands its messages to, if it is an agent route. */
export const agentOfRoute = (route: ResolvedRoute): string | undefined => (route.target.kind === "agent" ? route.target.agentId : undefined);
