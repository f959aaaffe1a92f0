/**
 * A test event: `webhook.test`, sent at once to a name's webhook URL when its owner asks (`POST /api/webhooks/test`),
 * signed and sent like every delivery (attempt.ts: same headers, same outgoing-request guard, timeout and answer cap)
 * but neither stored nor retried. The outcome is answered to the caller: the status code, or why nothing answered.
 */

import { randomBytes } from "node:crypto";
import type { Dispatcher } from "undici";
import { ClawTellError, type Clock } from "../../infra/index.js";
import { originOf, sendOutbound } from "../outbound/index.js";
import type { NameRecord } from "../store/index.js";
import { webhookHeaders } from "./attempt.js";

export const WEBHOOK_TEST_EVENT = "webhook.test";

/** The body of a test event. */
export interface WebhookTestBody {
  readonly event: typeof WEBHOOK_TEST_EVENT;
  readonly deliveryId: string;
  readonly attempt: 1;
  readonly timestamp: string;
  readonly name: string;
  readonly test: true;
}

export interface WebhookTestOutcome {
  readonly deliveryId: string;
  /** The answer was 2xx. */
  readonly delivered: boolean;
  /** The receiver's status code; null when it never answered (refused address, timeout, network). */
  readonly statusCode: number | null;
  /** Why it did not deliver; null when it did. */
  readonly error: string | null;
}

export interface WebhookTestDeps {
  /** The guarded pool of outgoing requests (outbound/). */
  readonly dispatcher: Dispatcher;
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
}

/** Sends a test event to the name's webhook URL; CT_BAD_REQUEST (field `webhook_url`) when it has none. */
export async function sendWebhookTest(deps: WebhookTestDeps, name: NameRecord, signal?: AbortSignal): Promise<WebhookTestOutcome> {
  const url = name.webhookUrl;
  if (url === null) throw new ClawTellError("CT_BAD_REQUEST", "webhook_url: this name has no webhook URL; save one first", { field: "webhook_url" });
  const now = deps.clock.now();
  const deliveryId = `test_${randomBytes(12).toString("hex")}`;
  const body: WebhookTestBody = { event: WEBHOOK_TEST_EVENT, deliveryId, attempt: 1, timestamp: new Date(now).toISOString(), name: name.name, test: true };
  const raw = JSON.stringify(body);
  const headers = webhookHeaders({ deliveryId, event: WEBHOOK_TEST_EVENT, secret: name.webhookSecret, raw, now });
  try {
    const answer = await sendOutbound(
      { dispatcher: deps.dispatcher, clock: deps.clock },
      { url, method: "POST", headers, body: raw, timeoutMs: deps.timeoutMs, maxResponseBytes: deps.maxResponseBytes, ...(signal === undefined ? {} : { signal }) },
    );
    const { statusCode } = answer;
    if (statusCode >= 200 && statusCode < 300) return { deliveryId, delivered: true, statusCode, error: null };
    const why = statusCode >= 300 && statusCode < 400 ? "redirects are not followed" : "a delivery needs a 2xx answer";
    return { deliveryId, delivered: false, statusCode, error: `${originOf(url)} answered HTTP ${statusCode}; ${why}` };
  } catch (err) {
    const error = err instanceof ClawTellError ? err.message : `${originOf(url)}: ${String(err)}`;
    return { deliveryId, delivered: false, statusCode: null, error };
  }
}
