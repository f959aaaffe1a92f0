// The daemon SIGKILLed at random moments while messages flow: no message is lost, none waits out a lease the killed run
// held, none overtakes an earlier one, and no attempt number is handed over twice.
import { expect, it } from "vitest";
import { STALL_BOUND_MS, runChaos } from "../../helpers/chaos.js";

// Small enough for CI on a busy machine; `npm run bench:chaos` runs the same harness with 1 000.
const CYCLES = Number(process.env["CLAWTELL_CHAOS_CYCLES"] ?? 24);

it(`loses nothing, stalls nothing and keeps order across ${CYCLES} SIGKILLs of the daemon`, { timeout: 400_000 }, async () => {
  const result = await runChaos(CYCLES);
  process.stdout.write(`chaos: ${JSON.stringify({ ...result, lost: result.lost.length, pending: result.pending.length })}\n`);
  expect(result.sent).toBe(CYCLES * 3);
  expect(result.lost).toEqual([]);
  // Kills are not the message's fault: every message is delivered, none waits or is dead-lettered.
  expect(result.pending).toEqual([]);
  expect(result.dead).toEqual([]);
  expect(result.unackedOnServer).toBe(0);
  // What a killed run was sent but had not stored comes to the next run at once, before anything sent later.
  expect(result.late, `first deliveries more than ${STALL_BOUND_MS} ms after their send`).toEqual([]);
  expect(result.overtaken).toEqual([]);
  // Receivers dedupe on (deliveryId, attempt): an attempt cut short by a kill counts, so none repeats.
  expect(result.repeatedAttempts).toEqual([]);
  // A duplicate can only come from a kill between a delivery and its record: at most a few per kill.
  expect(result.duplicateDeliveries).toBeLessThanOrEqual(CYCLES * 3);
});
