// Where the server looks for the built dashboard, from each place its module runs from.
import { describe, expect, it } from "vitest";
import { defaultDashboardDir } from "../../../src/server/dashboard-files.js";

describe("defaultDashboardDir", () => {
  it.each([
    ["a chunk of the bundle", "file:///pkg/dist/bundle/chunks/server-ABC123.js"],
    ["an entry of the bundle", "file:///pkg/dist/bundle/cli-main.js"],
    ["tsc's output", "file:///pkg/dist/server/dashboard-files.js"],
    ["the TypeScript sources", "file:///pkg/src/server/dashboard-files.ts"],
  ])("finds dist/bundle/dashboard/ from %s", (_, moduleUrl) => {
    expect(defaultDashboardDir(moduleUrl)).toBe("/pkg/dist/bundle/dashboard/");
  });
});
