/**
 * Delivers a message to a non-OpenClaw agent by HTTP POST. Body: the message object plus `to_name`, `accountId`,
 * `deliveryId` and `attempt`. With a secret, `X-ClawTell-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
 * and `X-ClawTell-Timestamp` let the receiver verify it. 2xx = delivered; 408/429/5xx/network = retry; other 4xx = dead.
 */

import { createHmac } from "node:crypto";
import { request, type Dispatcher } from "undici";
import { ClawTellError, type Clock } from "../../infra/index.js";
import type { DeliveryRequest, Sink } from "../contracts.js";

export interface WebhookSinkDeps {
  readonly clock: Clock;
  readonly dispatcher?: Dispatcher;
}

/** The signature a receiver should compute to check a delivery. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export function createWebhookSink(deps: WebhookSinkDeps): Sink {
  return {
    async deliver({ message, route, attempt, signal }: DeliveryRequest) {
      if (route.target.kind !== "webhook") throw new ClawTellError("CT_ROUTE_UNKNOWN", "not a webhook route", { retryable: false });
      const target = route.target;
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
            "x-clawtell-delivery": message.id,
            "x-clawtell-timestamp": timestamp,
            ...(target.secret === undefined ? {} : { "x-clawtell-signature": signWebhook(target.secret, timestamp, body) }),
          },
          body,
          signal: AbortSignal.any([signal, timeout]),
          ...(deps.dispatcher === undefined ? {} : { dispatcher: deps.dispatcher }),
        });
        statusCode = response.statusCode;
        retryAfter = response.headers["retry-after"];
        await response.body.dump();
      } catch (err) {
        const what = timeout.aborted ? `no answer in ${target.timeoutMs} ms` : err instanceof Error ? err.message : String(err);
        throw new ClawTellError(timeout.aborted ? "CT_TIMEOUT" : "CT_SINK_FAILED", `webhook ${new URL(target.url).origin}: ${what}`, { cause: err });
      }
      if (statusCode >= 200 && statusCode < 300) return;
      const retryable = statusCode === 408 || statusCode === 429 || statusCode >= 500;
      const seconds = typeof retryAfter === "string" && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : undefined;
      throw new ClawTellError("CT_SINK_FAILED", `webhook answered HTTP ${statusCode}`, {
        status: statusCode,
        retryable,
        ...(seconds === undefined ? {} : { retryAfterMs: seconds }),
      });
    },
  };
}
