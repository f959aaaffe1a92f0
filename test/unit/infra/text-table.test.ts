import { expect, it } from "vitest";
import { renderTable } from "../../../src/infra/index.js";

it("aligns columns and keeps each row on one line, also for a cell that spans lines", () => {
  const table = renderTable(["id", "error"], [["a", "invalid config:\n  routing: expected record\n  name: required"], ["bb", "ok"]]);
  const joined = "invalid config: routing: expected record name: required";
  expect(table.split("\n")).toEqual(["id  error", `--  ${"-".repeat(joined.length)}`, `a   ${joined}`, "bb  ok"]);
});
