/**
 * Where a machine's CPU went over a window (Linux, from /proc): the whole machine's busy cores and the cores the
 * hypervisor took for others (steal), and the cores of named roles, each a set of processes (threads included) or
 * every process of a command (`postgres`: the database's backends and workers). What no role names is "other".
 * A latency measured while the machine's cores were all busy is a queue for the CPU, whatever the code does.
 * A snapshot reads /proc synchronously, all of it at one moment (a few milliseconds): read with awaits in between, on
 * a busy process, its first and last readings were hundreds of milliseconds apart.
 */
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { parseProcStat } from "./harness.js";

/** Ticks of the machine (all cores): busy (user, nice, system, irq, softirq), stolen, and in all. */
interface MachineTicks {
  readonly busy: number;
  readonly steal: number;
  readonly total: number;
}

export interface CpuSnapshot {
  readonly machine: MachineTicks;
  /** CPU ms by role, by process. */
  readonly roles: ReadonlyMap<string, ReadonlyMap<number, number>>;
}

export interface CpuUse {
  /** Cores of the machine busy on average over the window, of `cores`. */
  readonly busyCores: number;
  /** Cores the hypervisor gave to other guests while this one wanted them. */
  readonly stealCores: number;
  readonly cores: number;
  /** Cores by role, and "other" for the rest of the busy cores. */
  readonly roles: ReadonlyMap<string, number>;
  /** The window, ms. */
  readonly ms: number;
}

/** What a role is: processes by pid, or every process whose command name is `command`. */
export type Role = { readonly pids: readonly number[] } | { readonly command: string };

function machineTicks(): MachineTicks {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0);
  return { busy, steal: steal ?? 0, total: busy + (idle ?? 0) + (iowait ?? 0) + (steal ?? 0) };
}

/** A process's command name and CPU ms (user + system, all threads); undefined once it is gone. */
function processCpu(pid: number): { command: string; ms: number } | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/** CPU ms of every process whose command name is `command`, by pid. */
function commandCpu(command: string): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cpu = processCpu(Number(entry));
    if (cpu?.command === command) byPid.set(Number(entry), cpu.ms);
  }
  return byPid;
}

export function snapshotCpu(roles: ReadonlyMap<string, Role>): CpuSnapshot {
  const machine = machineTicks();
  const byRole = new Map<string, Map<number, number>>();
  for (const [name, role] of roles) {
    if ("command" in role) byRole.set(name, commandCpu(role.command));
    else {
      const byPid = new Map<number, number>();
      for (const pid of role.pids) {
        const cpu = processCpu(pid);
        if (cpu !== undefined) byPid.set(pid, cpu.ms);
      }
      byRole.set(name, byPid);
    }
  }
  return { machine, roles: byRole };
}

/**
 * The use between two snapshots, process by process: one that started inside the window counts whole, and one that
 * ended inside it not at all (what it used before it ended is not known; a pool's connection that ends is one that
 * was idle). Summed as totals instead, a PostgreSQL backend that ended would take its whole past off the window.
 */
export function cpuUseBetween(before: CpuSnapshot, after: CpuSnapshot, ms: number): CpuUse {
  const cores = availableParallelism();
  const totalTicks = Math.max(1, after.machine.total - before.machine.total);
  const busyCores = ((after.machine.busy - before.machine.busy) / totalTicks) * cores;
  const stealCores = ((after.machine.steal - before.machine.steal) / totalTicks) * cores;
  const roles = new Map<string, number>();
  let named = 0;
  for (const [name, afterByPid] of after.roles) {
    const beforeByPid = before.roles.get(name);
    let usedMs = 0;
    for (const [pid, cpuMs] of afterByPid) usedMs += Math.max(0, cpuMs - (beforeByPid?.get(pid) ?? 0));
    const used = usedMs / ms;
    roles.set(name, used);
    named += used;
  }
  roles.set("other", Math.max(0, busyCores - named));
  return { busyCores, stealCores, cores, roles, ms };
}

/** `busy 1.93 of 2 cores (steal 0.04): postgres 0.62, A 0.41, …` */
export function describeCpuUse(use: CpuUse): string {
  const roles = [...use.roles].map(([name, cores]) => `${name} ${cores.toFixed(2)}`).join(", ");
  return `busy ${use.busyCores.toFixed(2)} of ${use.cores} cores (stolen by the hypervisor ${use.stealCores.toFixed(2)}): ${roles}`;
}
