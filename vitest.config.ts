import { accessSync, constants, statSync } from "node:fs";
import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { postgresUnavailable } from "./test/helpers/test-database.js";

/** Files that run for minutes: started first, so that the workers finish together instead of one waiting on them. */
const LONG_RUNNING = /\/test\/(e2e|integration\/chaos)\//;

class LongRunningFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted.filter((f) => LONG_RUNNING.test(f.moduleId)), ...sorted.filter((f) => !LONG_RUNNING.test(f.moduleId))];
  }
}

/**
 * The tests' data folders go to memory (/dev/shm) when the machine has it and no TMPDIR is set: the code under test
 * fsyncs as it always does, but a flush then costs nothing, so the suite is bound by the work and not by the disk.
 * A crash test kills processes, not the machine, so what it proves holds the same on tmpfs.
 */
function memoryTmpdir(): string | undefined {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return statSync("/dev/shm").isDirectory() ? "/dev/shm" : undefined;
  } catch {
    return undefined;
  }
}
if (process.env["TMPDIR"] === undefined) {
  const dir = memoryTmpdir();
  if (dir !== undefined) process.env["TMPDIR"] = dir;
}

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) {
  process.stderr.write(`server suite on postgres: skipped: ${unavailable}\n`);
}

/**
 * The server's integration suite once more with its test servers on the PostgreSQL backend (test-server.ts). Left out:
 * the files that choose their backends themselves (the storage contracts cover both, postgres-* is postgres only,
 * notifier-* set up their own Redis and PostgreSQL) and
 * retention.test.ts, which builds its own embedded server.
 */
const serverOnPostgres: TestProjectInlineConfiguration = {
  extends: true,
  test: {
    name: "server-postgres",
    include: ["test/integration/server/**/*.test.ts"],
    exclude: [
      "test/integration/server/storage-contract*.test.ts",
      "test/integration/server/postgres-*.test.ts",
      "test/integration/server/notifier-*.test.ts",
      "test/integration/server/retention.test.ts",
    ],
    env: { CLAWTELL_TEST_BACKEND: "postgres" },
  },
};

/**
 * The plugin's unit tests load OpenClaw's modules into the test process, and OpenClaw sets undici's global dispatcher
 * to one of its own (another copy of undici, which does not take our FormData: multipart uploads through it hang). They
 * form a project of their own because vitest hands a worker on only to files of the same project: nothing of OpenClaw's
 * reaches the other projects' files. Among themselves they share their workers, as every one of them loads OpenClaw
 * anyway: isolated, each file imported OpenClaw afresh, 75 s of CPU for the project instead of 27 s.
 */
const PLUGIN_UNIT_TESTS = "test/unit/plugin/**";
const pluginUnits: TestProjectInlineConfiguration = {
  extends: true,
  test: { name: "plugin", include: [`${PLUGIN_UNIT_TESTS}/*.test.ts`], isolate: false },
};

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits for a state; on a busy machine reaching it may take longer than the default second.
    expect: { poll: { timeout: 10_000 } },
    pool: "forks",
    // A worker keeps the modules it has loaded from one file to the next instead of importing the server's graph again
    // for each file: the whole suite spent 332 s of its workers' time importing with isolation, 63 s without, and ran
    // in 557 s instead of 639 s on two cores. The tests mock nothing and leave no global state behind (each builds its
    // own servers, stores, loggers and clocks), so a file sees nothing of the one before it; the plugin's unit tests,
    // which load OpenClaw into the process, are the exception, and run isolated (`pluginUnits`).
    isolate: false,
    fileParallelism: true,
    // Three files at once on two cores: much of a test's time is spent waiting on sockets and child processes.
    maxWorkers: 3,
    sequence: { sequencer: LongRunningFirst },
    // OpenClaw's first-run lifecycle, completed once before the e2e files start together, the test database's
    // catalogs vacuumed of the schemas earlier runs made and dropped, and the run's temporary folder (see the files).
    globalSetup: ["test/e2e/openclaw-lifecycle.ts", "test/helpers/postgres-catalog-vacuum.ts", "test/helpers/test-run-dir.ts"],
    projects: [
      { extends: true, test: { name: "default", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, PLUGIN_UNIT_TESTS] } },
      pluginUnits,
      ...(unavailable === undefined ? [serverOnPostgres] : []),
    ],
  },
});
