/**
 * A few Prometheus instruments (counters, histograms, gauges read at scrape time) and their text exposition format
 * (version 0.0.4). The hot path only adds to numbers: a series is created once, by whoever owns it, and kept; nothing
 * is looked up by label at observation time, and nothing runs in the background.
 */

export type Labels = Readonly<Record<string, string>>;

export interface Counter {
  inc(by?: number): void;
  value(): number;
}

export interface Histogram {
  /** Records one observation, in the histogram's unit (seconds for latencies). */
  observe(value: number): void;
}

/** Reads a gauge's current value at scrape time; `undefined` leaves the series out of this scrape. */
export type GaugeReader = () => number | undefined | Promise<number | undefined>;

export interface MetricsRegistry {
  /** A counter series; calls with the same name and other labels add series to one metric. */
  counter(name: string, help: string, labels?: Labels): Counter;
  histogram(name: string, help: string, buckets: readonly number[], labels?: Labels): Histogram;
  gauge(name: string, help: string, read: GaugeReader, labels?: Labels): void;
  /** All metrics in the text exposition format. */
  render(): Promise<string>;
}

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Kind = "counter" | "histogram" | "gauge";

interface Family {
  readonly kind: Kind;
  readonly help: string;
  readonly series: Array<(name: string, lines: string[]) => void | Promise<void>>;
}

export function createMetricsRegistry(): MetricsRegistry {
  const families = new Map<string, Family>();

  const family = (name: string, kind: Kind, help: string): Family => {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`metric name ${name} is not valid`);
    const found = families.get(name);
    if (found !== undefined) {
      if (found.kind !== kind) throw new Error(`metric ${name} is already a ${found.kind}`);
      return found;
    }
    const created: Family = { kind, help, series: [] };
    families.set(name, created);
    return created;
  };

  return {
    counter(name, help, labels = {}) {
      let count = 0;
      const shown = formatLabels(labels);
      family(name, "counter", help).series.push((metric, lines) => {
        lines.push(`${metric}${shown} ${formatValue(count)}`);
      });
      return {
        inc(by = 1) {
          count += by;
        },
        value: () => count,
      };
    },

    histogram(name, help, buckets, labels = {}) {
      const bounds = [...buckets].sort((a, b) => a - b);
      // Per bucket, the observations that fell in it (not yet cumulative); the last slot is +Inf.
      const counts = new Array<number>(bounds.length + 1).fill(0);
      let sum = 0;
      const le = bounds.map((bound) => formatLabels({ ...labels, le: formatValue(bound) }));
      const inf = formatLabels({ ...labels, le: "+Inf" });
      const shown = formatLabels(labels);
      family(name, "histogram", help).series.push((metric, lines) => {
        let cumulative = 0;
        for (let i = 0; i < bounds.length; i++) {
          cumulative += counts[i] ?? 0;
          lines.push(`${metric}_bucket${le[i] ?? ""} ${cumulative}`);
        }
        cumulative += counts[bounds.length] ?? 0;
        lines.push(`${metric}_bucket${inf} ${cumulative}`, `${metric}_sum${shown} ${formatValue(sum)}`, `${metric}_count${shown} ${cumulative}`);
      });
      return {
        observe(value) {
          let i = 0;
          while (i < bounds.length && value > (bounds[i] ?? Number.POSITIVE_INFINITY)) i++;
          counts[i] = (counts[i] ?? 0) + 1;
          sum += value;
        },
      };
    },

    gauge(name, help, read, labels = {}) {
      const shown = formatLabels(labels);
      family(name, "gauge", help).series.push(async (metric, lines) => {
        const value = await read();
        if (value !== undefined) lines.push(`${metric}${shown} ${formatValue(value)}`);
      });
    },

    async render() {
      const lines: string[] = [];
      for (const [name, { kind, help, series }] of families) {
        lines.push(`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${name} ${kind}`);
        for (const write of series) await write(name, lines);
      }
      return `${lines.join("\n")}\n`;
    },
  };
}

function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(
    ([key, value]) => `${key}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`,
  );
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}
