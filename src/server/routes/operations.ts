/**
 * Operations endpoints, outside auth and rate limits: `GET /healthz` (the process serves), `GET /readyz` (its storage
 * and notifier can serve: 200, or 503 CT_UNAVAILABLE naming what is down), and `GET /metrics` (Prometheus text format,
 * when metrics are on). With metrics on, every route registered after this plugin gets its latency observed by an
 * `onResponse` hook of its own, so nothing is looked up per request.
 */

import type { FastifyInstance, onResponseHookHandler, RouteOptions } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { ClawTellError, type Clock, type Logger } from "../../infra/index.js";
import type { ServerMetrics } from "../metrics.js";
import { EXPOSITION_CONTENT_TYPE } from "../metrics-registry.js";
import type { Notifier } from "../notifier.js";
import type { MessageStore, Storage } from "../store/index.js";
import { ErrorAnswerSchema } from "../contexts/schemas.js";

/** A notifier that can tell whether it reaches its backend (one backed by Redis); the in-process one always can. */
export interface NotifierHealth {
  healthy?(): boolean | Promise<boolean>;
}

/** A message store that can count every unacked message at once; the queue-depth gauge is shown when it can. */
export interface UnackedCounter {
  countUnacked?(): Promise<number>;
}

export interface OperationsDeps {
  readonly storage: Storage;
  readonly notifier: Notifier & NotifierHealth;
  /** Absent when metrics are off: then `/metrics` answers 404 and no latency is observed. */
  readonly metrics: ServerMetrics | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  /** A check that has not answered within this is counted as down. @defaultValue 2000 */
  readonly readyTimeoutMs?: number;
}

/** Route options that exempt a route from a rate limit (`@fastify/rate-limit` reads `config.rateLimit`). */
const UNLIMITED: Pick<RouteOptions, "config"> = { config: { rateLimit: false } as NonNullable<RouteOptions["config"]> };

const NotReadySchema = ErrorAnswerSchema.extend({ ready: z.literal(false), down: z.array(z.string()) });
const HEALTHZ = { summary: "Liveness: the process serves", response: { 200: z.object({ ok: z.literal(true) }), "4xx": ErrorAnswerSchema } };
const READYZ = {
  summary: "Readiness: the storage (and the notifier's backend) answer",
  response: { 200: z.object({ ready: z.literal(true) }), "4xx": ErrorAnswerSchema, 503: NotReadySchema },
};
const METRICS = { summary: "Prometheus metrics of this process", response: { 200: z.string(), "4xx": ErrorAnswerSchema } };

export function operationRoutes(root: FastifyInstance, deps: OperationsDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { storage, notifier, metrics, clock, logger } = deps;
  const readyTimeoutMs = deps.readyTimeoutMs ?? 2_000;

  if (metrics !== undefined) {
    app.addHook("onRoute", (route) => {
      const method = Array.isArray(route.method) ? route.method.join(",") : String(route.method);
      const latency = metrics.routeLatency(method, route.url);
      const observe: onResponseHookHandler = (_request, reply, done) => {
        latency.observe(reply.elapsedTime / 1000);
        done();
      };
      const existing = route.onResponse === undefined ? [] : Array.isArray(route.onResponse) ? route.onResponse : [route.onResponse];
      route.onResponse = [...existing, observe];
    });
    registerGauges(deps, metrics);
  }

  app.get("/healthz", { ...UNLIMITED, schema: HEALTHZ }, async () => ({ ok: true as const }));

  /** Whether a check passes within the time allowed; a check that throws or is late is down. */
  const passes = async (check: () => Promise<boolean>): Promise<boolean> => {
    const controller = new AbortController();
    try {
      const late = clock.sleep(readyTimeoutMs, controller.signal).then(
        () => false,
        () => false,
      );
      return await Promise.race([check().catch(() => false), late]);
    } finally {
      controller.abort();
    }
  };
  let wasReady = true;

  app.get("/readyz", { ...UNLIMITED, schema: READYZ }, async (_request, reply) => {
    const checks: Array<[string, () => Promise<boolean>]> = [
      ["storage", () => storage.ping().then(() => true)],
    ];
    const healthy = notifier.healthy;
    if (healthy !== undefined) checks.push(["notifier", async () => (await healthy.call(notifier)) === true]);
    const results = await Promise.all(checks.map(async ([name, check]) => [name, await passes(check)] as const));
    const down = results.filter(([, ok]) => !ok).map(([name]) => name);
    if (down.length === 0) {
      if (!wasReady) logger.info("ready again");
      wasReady = true;
      return { ready: true as const };
    }
    if (wasReady) logger.warn({ down }, "not ready");
    wasReady = false;
    const error = new ClawTellError("CT_UNAVAILABLE", `not ready: ${down.join(", ")} unavailable`);
    return reply.status(error.httpStatus).send({ statusCode: error.httpStatus, code: error.code, error: error.message, ready: false as const, down });
  });

  if (metrics !== undefined) {
    app.get("/metrics", { ...UNLIMITED, schema: METRICS }, async (_request, reply) => reply.type(EXPOSITION_CONTENT_TYPE).send(await metrics.registry.render()));
  }
}

function registerGauges(deps: OperationsDeps, metrics: ServerMetrics): void {
  const { registry } = metrics;
  registry.gauge("clawtell_parked_connections", "Long polls and streams waiting for a message", () => deps.notifier.waiting());
  const counter: UnackedCounter = deps.storage.messages as MessageStore & UnackedCounter;
  const countUnacked = counter.countUnacked;
  if (countUnacked !== undefined) {
    registry.gauge("clawtell_queue_depth", "Unacked messages in the store (all processes)", () => countUnacked.call(deps.storage.messages));
  }
}
