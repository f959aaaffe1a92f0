/**
 * One attempt of a webhook delivery: (1) read the name's current URL and secret, (2) build and sign the body,
 * (3) POST it through the outgoing-request guard, (4) judge the answer. 2xx is delivered; 408, 429, 5xx, timeouts and
 * network failures are tried again on the schedule (retry-schedule.ts); a redirect (not followed), another 4xx, a
 * refused target address (private network) and a URL that is no longer set end the delivery.
 */

import { ClawTellError, signWebhook, WEBHOOK_HEADERS, parseRetryAfter, type Clock } from "../../infra/index.js";
import { originOf, sendOutbound, type OutboundAnswer } from "../outbound/index.js";
import type { AttemptOutcome, DirectoryStore, MessageStore, WebhookDelivery } from "../store/index.js";
import type { Dispatcher } from "undici";
import { webhookBody } from "./payloads.js";
import { MAX_ATTEMPTS, retryDelayAfter } from "./retry-schedule.js";

export interface AttemptDeps {
  readonly directory: Pick<DirectoryStore, "findNameByName">;
  readonly messages: Pick<MessageStore, "find">;
  readonly clock: Clock;
  readonly dispatcher: Dispatcher;
  readonly random: () => number;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
}

/** The User-Agent of the server's webhooks. */
export const WEBHOOK_USER_AGENT = "clawtell-server-webhooks";

/** The headers of a webhook request: its delivery, its event, its time and, when the name has a secret, its signature. */
export function webhookHeaders(opts: { deliveryId: string; event: string; secret: string | null; raw: string; now: number }): Record<string, string> {
  const timestamp = String(Math.floor(opts.now / 1000));
  return {
    "content-type": "application/json",
    "user-agent": WEBHOOK_USER_AGENT,
    [WEBHOOK_HEADERS.delivery]: opts.deliveryId,
    [WEBHOOK_HEADERS.event]: opts.event,
    [WEBHOOK_HEADERS.timestamp]: timestamp,
    ...(opts.secret === null ? {} : { [WEBHOOK_HEADERS.signature]: signWebhook(opts.secret, timestamp, opts.raw) }),
  };
}

/**
 * Makes one attempt and answers its outcome; undefined when `signal` ended it (the server is closing: the delivery
 * stays due, and is attempted again after the restart).
 */
export async function attemptDelivery(deps: AttemptDeps, delivery: WebhookDelivery, signal: AbortSignal): Promise<AttemptOutcome | undefined> {
  const { clock } = deps;
  const end = (status: "cancelled" | "failed", error: string, attempted = false, statusCode: number | null = null): AttemptOutcome => ({
    at: clock.now(),
    status,
    attempted,
    statusCode,
    error,
    nextAttemptAt: null,
  });
  const owner = await deps.directory.findNameByName(delivery.name);
  if (owner === undefined || owner.id !== delivery.nameId) return end("cancelled", "the name no longer exists");
  if (owner.webhookUrl === null) return end("cancelled", "the name has no webhook URL any more");
  const message = delivery.event === "message.received" ? await deps.messages.find(delivery.messageId) : undefined;
  const attempt = delivery.attempts + 1;
  const body = webhookBody(delivery, attempt, message);
  if (body === undefined) return end("cancelled", "the message is no longer stored");

  const url = owner.webhookUrl;
  const raw = JSON.stringify(body);
  const headers = webhookHeaders({ deliveryId: delivery.id, event: delivery.event, secret: owner.webhookSecret, raw, now: clock.now() });
  let answer: OutboundAnswer;
  try {
    answer = await sendOutbound(
      { dispatcher: deps.dispatcher, clock },
      { url, method: "POST", headers, body: raw, timeoutMs: deps.timeoutMs, maxResponseBytes: deps.maxResponseBytes, signal },
    );
  } catch (err) {
    if (signal.aborted) return undefined;
    const failure = err instanceof ClawTellError ? err : new ClawTellError("CT_SINK_FAILED", `${originOf(url)}: ${String(err)}`);
    if (!failure.retryable) return end("failed", failure.message, failure.code !== "CT_FORBIDDEN" && failure.code !== "CT_BAD_REQUEST");
    return again(deps, attempt, failure.message, null);
  }
  const { statusCode } = answer;
  if (statusCode >= 200 && statusCode < 300) {
    return { at: clock.now(), status: "delivered", attempted: true, statusCode, error: null, nextAttemptAt: null };
  }
  if (statusCode >= 300 && statusCode < 400) {
    return end("failed", `${originOf(url)} answered HTTP ${statusCode}: redirects are not followed`, true, statusCode);
  }
  if (statusCode === 408 || statusCode === 429 || statusCode >= 500) {
    const retryAfterMs = statusCode === 429 || statusCode === 503 ? parseRetryAfter(answer.headers["retry-after"], clock.now()) : undefined;
    return again(deps, attempt, `${originOf(url)} answered HTTP ${statusCode}`, statusCode, retryAfterMs);
  }
  return end("failed", `${originOf(url)} answered HTTP ${statusCode}; refused, not retried`, true, statusCode);
}

/** A failed attempt worth repeating: pending again on the schedule, or failed once the attempts are used up. */
function again(deps: AttemptDeps, attempt: number, error: string, statusCode: number | null, retryAfterMs?: number): AttemptOutcome {
  const at = deps.clock.now();
  const delay = retryDelayAfter(attempt, deps.random, retryAfterMs);
  if (delay === undefined) {
    return { at, status: "failed", attempted: true, statusCode, error: `${error} (gave up after ${MAX_ATTEMPTS} attempts)`, nextAttemptAt: null };
  }
  return { at, status: "pending", attempted: true, statusCode, error, nextAttemptAt: at + delay };
}
