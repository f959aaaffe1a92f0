// Vitest global setup: one temporary folder for the whole run, given to the test files (`inject("testRunDir")`) and
// removed when the run ends, with whatever the tests' processes left in it. A worker that vitest ends does not run its
// own exit hooks: a folder a worker made for itself stayed behind after every run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    testRunDir: string;
  }
}

export default function provideTestRunDir(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), "clawtell-test-run-"));
  project.provide("testRunDir", dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
