// The embedded server's monthly message counts: kept in memory, written to the SQLite file after a flush interval on
// the injected clock, and at close.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManualClock } from "../../../src/infra/index.js";
import { openSqliteArchive, type SqliteArchive } from "../../../src/server/index.js";
import { createBufferedQuotas } from "../../../src/server/store/embedded-quotas.js";

const MONTH = "2026-12";
/** An hour: only the manual clock can bring a flush within the test. */
const FLUSH_MS = 3_600_000;

describe("the embedded server's buffered quota counts", () => {
  let dir: string;
  let archive: SqliteArchive;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawtell-quotas-"));
    archive = openSqliteArchive({ dataDir: dir });
  });
  afterEach(async () => {
    archive.close();
    await rm(dir, { recursive: true, force: true });
  });

  const written = (accountId: string): number | undefined => {
    const row = archive.database.prepare("SELECT used FROM quota_usage WHERE account_id = ? AND month = ?").get(accountId, MONTH);
    return row === undefined ? undefined : Number(row["used"]);
  };

  it("writes the counts once the flush interval has passed on its clock, one write for many changes", async () => {
    const clock = createManualClock(0);
    const quotas = createBufferedQuotas(archive.database, { clock, flushIntervalMs: FLUSH_MS });
    for (let i = 0; i < 3; i++) await quotas.take("acct-a", MONTH, 10);
    await quotas.giveBack("acct-a", MONTH);
    expect(written("acct-a")).toBeUndefined();

    await clock.advance(FLUSH_MS - 1);
    expect(written("acct-a")).toBeUndefined();
    await clock.advance(1);
    expect(written("acct-a")).toBe(2);

    await quotas.take("acct-a", MONTH, 10);
    expect(written("acct-a")).toBe(2);
    await clock.advance(FLUSH_MS);
    expect(written("acct-a")).toBe(3);
    quotas.close();
  });

  it("writes at close what is still waiting", async () => {
    const clock = createManualClock(0);
    const quotas = createBufferedQuotas(archive.database, { clock, flushIntervalMs: FLUSH_MS });
    await quotas.take("acct-b", MONTH, 10);
    quotas.close();
    expect(written("acct-b")).toBe(1);
  });
});
