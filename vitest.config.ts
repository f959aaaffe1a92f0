import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Files that run for minutes: started first, so that the two workers finish together instead of one waiting on them. */
const LONG_RUNNING = /\/test\/(e2e|integration\/chaos)\//;

class LongRunningFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted.filter((f) => LONG_RUNNING.test(f.moduleId)), ...sorted.filter((f) => !LONG_RUNNING.test(f.moduleId))];
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
    sequence: { sequencer: LongRunningFirst },
  },
});
