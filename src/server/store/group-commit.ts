/**
 * Group commit: the works submitted in the same tick form one group, written as one record of a log (for the server's
 * store: one journal line) and made durable by one sync, so many sends cost one sync. The sync runs off the event loop
 * (the thread pool): while it is on the disk, the loop keeps taking in requests, which form the next group.
 *
 * Up to `maxInFlight` groups may be syncing at once, each written before its own sync started; their outcomes are
 * applied strictly in the order they were written, so what a group makes visible never overtakes an earlier group.
 * A caller's promise settles once its group is durable and applied, with the result its work returned; a work that
 * throws fails only its own caller (it is staged into a part of its own, dropped when it throws).
 */

export interface GroupLog<P> {
  /** Writes the parts of one group as one record; throws when it could not (the whole group then fails). */
  write(parts: readonly P[]): void;
  /** Resolves once everything written before the call is durable. */
  sync(): Promise<void>;
  /** The group is durable: makes its effects visible. */
  apply(parts: readonly P[]): void;
}

export interface GroupCommitter<P> {
  /** Runs `work` now into a fresh part of the group being built; resolves with its result once the group is durable. */
  run<T>(work: (part: P) => T): Promise<T>;
  /** Groups written but not yet settled. */
  inFlight(): number;
  /** Holds back new groups until `release` (work still stages): lets the in-flight ones settle. */
  hold(): void;
  release(): void;
  /** Resolves once nothing waits and nothing is in flight (used on close). */
  drain(): Promise<void>;
}

interface Caller {
  readonly result: unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

interface Group<P> {
  parts: P[];
  callers: Caller[];
}

interface Written<P> extends Group<P> {
  outcome: { ok: true } | { ok: false; err: unknown } | undefined;
}

export interface GroupCommitterOptions<P> {
  readonly log: GroupLog<P>;
  /** A new, empty part. */
  readonly newPart: () => P;
  /** @defaultValue 1 */
  readonly maxInFlight?: number;
  /** Called after groups settled, with none in flight if `inFlight()` says so. */
  readonly onSettled?: () => void;
}

export function createGroupCommitter<P>(options: GroupCommitterOptions<P>): GroupCommitter<P> {
  const { log, newPart, onSettled } = options;
  const maxInFlight = options.maxInFlight ?? 1;
  let building: Group<P> = { parts: [], callers: [] };
  const written: Array<Written<P>> = [];
  let scheduled = false;
  let held = false;
  const drained: Array<() => void> = [];

  const settle = (): void => {
    // Strictly in write order: a later group that synced first waits for the earlier ones.
    while (written[0]?.outcome !== undefined) {
      const group = written.shift() as Written<P>;
      const outcome = group.outcome as NonNullable<Written<P>["outcome"]>;
      if (outcome.ok) {
        log.apply(group.parts);
        for (const caller of group.callers) caller.resolve(caller.result);
      } else {
        for (const caller of group.callers) caller.reject(outcome.err);
      }
    }
    onSettled?.();
    launch();
  };

  const launch = (): void => {
    scheduled = false;
    while (!held && written.length < maxInFlight && building.callers.length > 0) {
      const group = building;
      building = { parts: [], callers: [] };
      try {
        log.write(group.parts);
      } catch (err) {
        for (const caller of group.callers) caller.reject(err);
        continue;
      }
      const entry: Written<P> = { ...group, outcome: undefined };
      written.push(entry);
      log.sync().then(
        () => {
          entry.outcome = { ok: true };
          settle();
        },
        (err: unknown) => {
          entry.outcome = { ok: false, err };
          settle();
        },
      );
    }
    if (written.length === 0 && building.callers.length === 0) for (const done of drained.splice(0)) done();
  };

  return {
    run<T>(work: (part: P) => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const part = newPart();
        let result: T;
        try {
          result = work(part);
        } catch (err) {
          reject(err);
          return;
        }
        building.parts.push(part);
        building.callers.push({ result, resolve: resolve as (value: unknown) => void, reject });
        if (!scheduled) {
          scheduled = true;
          // Everything submitted in this tick joins the group.
          setImmediate(launch);
        }
      });
    },
    inFlight: () => written.length,
    hold() {
      held = true;
    },
    release() {
      held = false;
      launch();
    },
    drain() {
      return new Promise<void>((resolve) => {
        drained.push(resolve);
        held = false;
        launch();
      });
    },
  };
}
