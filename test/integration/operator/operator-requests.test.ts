// The request folder between operator commands and running daemons, on real files.
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { NO_ANSWER, requestFromDaemon, serveOperatorRequests, type OperatorRequest } from "../../../src/operator/requests.js";
import { createManualClock, createSilentLogger } from "../../../src/infra/index.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "clawtell-requests-"));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

it("answers only for its own accounts, serves a waiting request once its account starts, and drops stale ones", async () => {
  const requests = join(dir, "requests");
  // One left behind by an asker that was killed two minutes ago, before this process started.
  await mkdir(requests);
  const stale = join(requests, "stale.request.json");
  await writeFile(stale, JSON.stringify({ id: "stale", op: "retry", accountId: "alice" }));
  const twoMinutesAgo = new Date(Date.now() - 120_000);
  await utimes(stale, twoMinutesAgo, twoMinutesAgo);

  const mine = new Set(["alice"]);
  const served: OperatorRequest[] = [];
  const server = await serveOperatorRequests(
    dir,
    async (request) => {
      if (!mine.has(request.accountId)) return undefined;
      served.push(request);
      return { count: 1 };
    },
    createSilentLogger(),
  );
  try {
    expect(await requestFromDaemon(dir, { op: "retry", accountId: "alice" }, 5000)).toEqual({ ok: true, count: 1 });

    // carol is run by another process: her request waits for it, unanswered here.
    const carols = requestFromDaemon(dir, { op: "purge", accountId: "carol" }, 5000);
    // Time for the watcher to see the request file, which this process must leave alone.
    await new Promise((r) => setTimeout(r, 500));
    expect(served.map((r) => r.accountId)).toEqual(["alice"]);
    // …until carol's account starts in this process.
    mine.add("carol");
    await server.rescan();
    expect(await carols).toEqual({ ok: true, count: 1 });

    expect(served.map((r) => [r.accountId, r.op])).toEqual([["alice", "retry"], ["carol", "purge"]]);
    expect(await readdir(requests)).toEqual([]);
  } finally {
    await server.close();
  }
});

it("withdraws a request nobody answers once its time has passed on the asker's clock", async () => {
  const clock = createManualClock(0);
  // An hour: only the manual clock can bring the deadline within the test.
  const asked = requestFromDaemon(dir, { op: "retry", accountId: "alice" }, 3_600_000, clock);
  await clock.advance(3_600_000);
  expect(await asked).toEqual({ ok: false, count: 0, error: NO_ANSWER });
  expect(await readdir(join(dir, "requests"))).toEqual([]);
}, 10_000);
