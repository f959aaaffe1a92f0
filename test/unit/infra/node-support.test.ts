import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MIN_NODE_VERSION, unsupportedNode } from "../../../src/infra/node-support.js";

describe("unsupportedNode", () => {
  it("is the package's engines range", () => {
    const manifest = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { engines: { node: string } };
    expect(manifest.engines.node).toBe(`>=${MIN_NODE_VERSION}`);
  });

  it.each(["24.16.0", "24.21.0", "25.0.0", "26.1.0", "v24.16.1"])("lets Node.js %s run", (version) => {
    expect(unsupportedNode(version)).toBeUndefined();
  });

  it.each([
    ["20.20.2", "20.20.2"],
    ["24.15.9", "24.15.9"],
    ["v22.12.0", "22.12.0"],
  ])("refuses Node.js %s, naming both versions", (version, shown) => {
    expect(unsupportedNode(version)).toBe(`clawtell needs Node.js ${MIN_NODE_VERSION} or newer; this is Node.js ${shown}`);
  });
});
