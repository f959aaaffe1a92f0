/**
 * The chaos run at bench scale: the standalone daemon SIGKILLed 1 000 times at random moments while messages flow
 * (CI runs the same harness with 24). Prints sent / delivered / lost / duplicate deliveries, the worst delay from a
 * send to its first delivery, messages delivered out of order and repeated attempt numbers. Goal: 0 lost, none late
 * (over 20 s), none overtaken, none repeated.
 */
import { STALL_BOUND_MS, runChaos } from "../test/helpers/chaos.js";

const cycles = Number(process.env["CLAWTELL_CHAOS_CYCLES"] ?? 1000);
const started = performance.now();
const result = await runChaos(cycles);
process.stdout.write(
  [
    `## daemon chaos: ${result.cycles} SIGKILL cycles in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    `sent ${result.sent}, delivered ${result.delivered}, lost ${result.lost.length} (goal 0), still queued ${result.pending.length}, dead letters ${result.dead.length}, duplicate deliveries ${result.duplicateDeliveries}, left unacked on the server ${result.unackedOnServer}`,
    `worst delay from send to first delivery ${result.worstDelayMs} ms, later than ${STALL_BOUND_MS} ms ${result.late.length}, overtaken ${result.overtaken.length}, repeated attempt numbers ${result.repeatedAttempts.length} (goal 0 each)`,
    ...result.dead.slice(0, 10).map((d) => `  dead ${d.id}: ${d.code} after ${d.attempts} attempts`),
    "",
  ].join("\n"),
);
const failed = [result.lost, result.pending, result.dead, result.late, result.overtaken, result.repeatedAttempts].some((list) => list.length > 0);
if (failed) process.exitCode = 1;
