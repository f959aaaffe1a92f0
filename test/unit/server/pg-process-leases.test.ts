// Which closed connections a PostgreSQL server process looks for when a poll of the same names opens: only those that
// took leases. (Nothing here runs a query: the heartbeat is not started.)
import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSilentLogger } from "../../../src/infra/index.js";
import { openDatabase, type Database } from "../../../src/server/store/postgres/pg-database.js";
import { createProcessLeases, type ProcessLeases } from "../../../src/server/store/postgres/pg-processes.js";

class Connection extends EventEmitter {
  destroyed = false;
  close(): void {
    this.destroyed = true;
    this.emit("close");
  }
}

describe("a postgres process's connection serials", () => {
  let db: Database;
  let leases: ProcessLeases;
  beforeEach(() => {
    // Never connected: the pool opens a connection at its first query, and these cases make none.
    db = openDatabase({ url: "postgres://127.0.0.1:1/none", logger: createSilentLogger() });
    leases = createProcessLeases(db, createSilentLogger());
  });
  afterEach(async () => {
    await db.close();
  });

  it("does not count a closed connection that took no lease (a long poll that found nothing)", () => {
    const idle = new Connection();
    const serial = leases.serialOf(idle);
    expect(leases.serialOf(idle)).toBe(serial);
    idle.close();
    expect(leases.endedSerials([1])).toEqual([]);
  });

  it("counts a closed connection for the recipients whose messages it leased, until those leases run out", () => {
    const busy = new Connection();
    const serial = leases.serialOf(busy);
    leases.leased(busy, 5_000, [1]);
    expect(leases.endedSerials([1])).toEqual([]);
    busy.close();
    expect(leases.endedSerials([1])).toEqual([serial]);
    expect(leases.endedSerials([2])).toEqual([]);
    leases.forget(4_999);
    expect(leases.endedSerials([1])).toEqual([serial]);
    leases.forget(5_000);
    expect(leases.endedSerials([1])).toEqual([]);
  });

  it("counts a connection that closed while its claim ran, once the claim reports its lease", () => {
    const racing = new Connection();
    const serial = leases.serialOf(racing);
    racing.close();
    // Another claim forgets ended connections with nothing leased before this one's answer is back.
    leases.forget(1);
    leases.leased(racing, 5_000, [1]);
    expect(leases.endedSerials([1])).toEqual([serial]);
  });

  it("stops counting a closed connection for the recipients whose leases were released, the others still counted", () => {
    const busy = new Connection();
    const serial = leases.serialOf(busy);
    leases.leased(busy, 5_000, [1, 2]);
    busy.close();
    const mark = leases.leaseMark();
    expect(leases.endedSerials([1])).toEqual([serial]);
    leases.released([serial], [1], mark);
    expect(leases.endedSerials([1])).toEqual([]);
    expect(leases.endedSerials([2])).toEqual([serial]);
    leases.released([serial], [2], mark);
    expect(leases.endedSerials([1, 2])).toEqual([]);
  });

  it("keeps counting a closed connection whose claim reported a lease after the release began", () => {
    const racing = new Connection();
    const serial = leases.serialOf(racing);
    leases.leased(racing, 5_000, [1]);
    racing.close();
    const mark = leases.leaseMark();
    // The claim may have committed after the release statement looked: its lease may still be there.
    leases.leased(racing, 6_000, [1]);
    leases.released([serial], [1], mark);
    expect(leases.endedSerials([1])).toEqual([serial]);
    leases.released([serial], [1], leases.leaseMark());
    expect(leases.endedSerials([1])).toEqual([]);
    // A claim reporting after that brings it back.
    leases.leased(racing, 7_000, [1]);
    expect(leases.endedSerials([1])).toEqual([serial]);
  });
});
