/**
 * The server's metrics: what the message store did (instrumented-messages.ts counts it), request latency per route
 * (routes/operations.ts observes it), and gauges read when `/metrics` is scraped. Every figure is this process's own:
 * with several server processes, sum them in Prometheus.
 */

import { createMetricsRegistry, type Counter, type Histogram, type MetricsRegistry } from "./metrics-registry.js";

/** Latency buckets in seconds: short calls in milliseconds, long polls and streams up to their longest wait. */
export const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600] as const;

/** What the message-store decorator counts. */
export interface MessageMetrics {
  readonly sent: Counter;
  readonly delivered: Counter;
  readonly acked: Counter;
  /** Messages handed out again because their lease ended unacked. */
  readonly leaseExpired: Counter;
  /** Messages handed out again before their lease ended: their connection closed, or a stream resumed before them. */
  readonly released: Counter;
}

export interface ServerMetrics extends MessageMetrics {
  readonly registry: MetricsRegistry;
  /** The latency histogram of one route, created when the route is registered. */
  routeLatency(method: string, route: string): Histogram;
}

export function createServerMetrics(): ServerMetrics {
  const registry = createMetricsRegistry();
  const redelivered = "clawtell_messages_redelivered_total";
  const redeliveredHelp = "Messages handed out again, by why: their lease ended unacked, or it was released early";
  const metrics: ServerMetrics = {
    registry,
    sent: registry.counter("clawtell_messages_sent_total", "Messages stored by sends"),
    delivered: registry.counter("clawtell_messages_delivered_total", "Messages handed out to polls and streams (each hand-out counts)"),
    acked: registry.counter("clawtell_messages_acked_total", "Message ids acknowledged (a repeated ack counts again)"),
    leaseExpired: registry.counter(redelivered, redeliveredHelp, { reason: "lease_expired" }),
    released: registry.counter(redelivered, redeliveredHelp, { reason: "released" }),
    routeLatency: (method, route) =>
      registry.histogram(
        "clawtell_http_request_duration_seconds",
        "Time from request to response, per route (long polls and streams include their wait)",
        LATENCY_BUCKETS_S,
        { method, route },
      ),
  };
  registry.gauge("process_resident_memory_bytes", "Resident memory of this server process", () => process.memoryUsage.rss());
  registry.gauge("nodejs_heap_used_bytes", "V8 heap in use", () => process.memoryUsage().heapUsed);
  const startedAt = performance.timeOrigin / 1000;
  registry.gauge("process_start_time_seconds", "When this process started, in seconds since the epoch", () => startedAt);
  return metrics;
}
