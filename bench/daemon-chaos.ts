/**
 * The chaos run at bench scale: the standalone daemon SIGKILLed 1 000 times at random moments while messages flow
 * (CI runs the same harness with 200). Prints sent / delivered / lost / duplicate deliveries. Goal: 0 lost.
 */
import { runChaos } from "../test/helpers/chaos.js";

const cycles = Number(process.env["CLAWTELL_CHAOS_CYCLES"] ?? 1000);
const started = performance.now();
const result = await runChaos(cycles);
process.stdout.write(
  [
    `## daemon chaos: ${result.cycles} SIGKILL cycles in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    `sent ${result.sent}, delivered ${result.delivered}, lost ${result.lost.length} (goal 0), still queued ${result.pending.length}, dead letters ${result.dead.length}, duplicate deliveries ${result.duplicateDeliveries}, left unacked on the server ${result.unackedOnServer}`,
    ...result.dead.slice(0, 10).map((d) => `  dead ${d.id}: ${d.code} after ${d.attempts} attempts`),
    "",
  ].join("\n"),
);
if (result.lost.length > 0 || result.pending.length > 0 || result.dead.length > 0) process.exitCode = 1;
