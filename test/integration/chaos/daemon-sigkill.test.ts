// The daemon SIGKILLed at random moments while messages flow: no message is lost.
import { expect, it } from "vitest";
import { runChaos } from "../../helpers/chaos.js";

const CYCLES = Number(process.env["CLAWTELL_CHAOS_CYCLES"] ?? 200);

it(`loses no message across ${CYCLES} SIGKILLs of the daemon`, { timeout: 400_000 }, async () => {
  const result = await runChaos(CYCLES);
  process.stdout.write(`chaos: ${JSON.stringify({ ...result, lost: result.lost.length, pending: result.pending.length })}\n`);
  expect(result.sent).toBe(CYCLES * 3);
  expect(result.lost).toEqual([]);
  // Kills are not the message's fault: every message is delivered, none waits or is dead-lettered.
  expect(result.pending).toEqual([]);
  expect(result.dead).toEqual([]);
  expect(result.unackedOnServer).toBe(0);
  // A duplicate can only come from a kill between a delivery and its record: at most a few per kill.
  expect(result.duplicateDeliveries).toBeLessThanOrEqual(CYCLES * 3);
});
