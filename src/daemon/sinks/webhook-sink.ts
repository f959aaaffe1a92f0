/**
 * Delivers a message to a non-OpenClaw agent by HTTP POST of its JSON, signed with HMAC-SHA256 when the route has a
 * secret (infra/webhook-signature.ts: the scheme the server's webhooks use too). 2xx = delivered; 408/429/5xx, network
 * failures and the route's timeout = retry; any other status = refused.
 */

import { request, type Dispatcher } from "undici";
import { ClawTellError, parseRetryAfter, signWebhook, WEBHOOK_HEADERS, type Clock, type Logger } from "../../infra/index.js";
import type { DeliveryRequest, Sink } from "../contracts.js";

/** What the webhook sink needs. */
export interface WebhookSinkDeps {
  /** Source of `X-ClawTell-Timestamp` and of HTTP-date `Retry-After` arithmetic. */
  readonly clock: Clock;
  /** Connection pool to use (tests and proxies); the global dispatcher otherwise. */
  readonly dispatcher?: Dispatcher;
  readonly logger?: Logger;
}

/** Statuses worth another attempt: the receiver is busy, down or slow, not refusing this message. */
function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Creates the sink for `webhook` routes. */
export function createWebhookSink(deps: WebhookSinkDeps): Sink {
  const log = deps.logger?.child({ component: "daemon.webhook" });
  return {
    /** (1) build and sign the body, (2) POST within the route's timeout, (3) map the answer to done/retry/refuse. */
    async deliver({ message, route, attempt, signal }: DeliveryRequest) {
      if (route.target.kind !== "webhook") throw new ClawTellError("CT_ROUTE_UNKNOWN", "not a webhook route", { retryable: false });
      const target = route.target;
      // Only the origin is named in errors and logs: a path or query may carry the receiver's own token.
      const origin = new URL(target.url).origin;
      const body = JSON.stringify({ ...message, to_name: route.recipient, accountId: route.accountId, deliveryId: message.id, attempt });
      const timestamp = String(Math.floor(deps.clock.now() / 1000));
      const timeout = AbortSignal.timeout(target.timeoutMs);
      let statusCode: number;
      let retryAfter: string | string[] | undefined;
      try {
        const response = await request(target.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            [WEBHOOK_HEADERS.delivery]: message.id,
            [WEBHOOK_HEADERS.timestamp]: timestamp,
            ...(target.secret === undefined ? {} : { [WEBHOOK_HEADERS.signature]: signWebhook(target.secret, timestamp, body) }),
          },
          body,
          signal: AbortSignal.any([signal, timeout]),
          ...(deps.dispatcher === undefined ? {} : { dispatcher: deps.dispatcher }),
        });
        statusCode = response.statusCode;
        retryAfter = response.headers["retry-after"];
        // Drain a short answer so the connection is reused; a long one is cut off rather than read.
        await response.body.dump({ limit: 65_536, signal: AbortSignal.any([signal, timeout]) });
      } catch (err) {
        if (signal.aborted) throw new ClawTellError("CT_ABORTED", `webhook ${origin}: delivery cancelled`, { cause: err });
        if (timeout.aborted) throw new ClawTellError("CT_TIMEOUT", `webhook ${origin}: no answer in ${target.timeoutMs} ms`, { cause: err });
        throw new ClawTellError("CT_SINK_FAILED", `webhook ${origin}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      if (statusCode >= 200 && statusCode < 300) {
        log?.debug({ messageId: message.id, origin, statusCode, attempt }, "webhook delivery accepted");
        return;
      }
      const retryAfterMs = statusCode === 429 || statusCode === 503 ? parseRetryAfter(retryAfter, deps.clock.now()) : undefined;
      const refused = !isRetryableStatus(statusCode);
      throw new ClawTellError("CT_SINK_FAILED", `webhook answered HTTP ${statusCode} (${origin}${refused ? "; refused, not retried" : ""})`, {
        status: statusCode,
        retryable: !refused,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    },
  };
}
