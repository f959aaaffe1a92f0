/**
 * Runs the benchmarks in sequence and prints their figures (`npm run bench`; `npm run bench:server` runs only the
 * server ones). Loopback only; never part of `npm test`.
 */
import { runDaemonQueueBench } from "./daemon-queue.js";
import { runPluginLatencyBench } from "./plugin-latency.js";
import { runHostileBodiesBench } from "./server-hostile-bodies.js";
import { runIdleConnectionsBench } from "./server-idle-connections.js";
import { runKeyGuessingBench } from "./server-key-guessing.js";
import { runScaleOutBench } from "./server-scale-out.js";
import { runThroughputBench } from "./server-throughput.js";

const only = process.argv[2];
if (only !== undefined && only !== "server" && only !== "daemon") {
  process.stderr.write(`usage: tsx bench/run-all.ts [server|daemon]\n`);
  process.exit(2);
}
if (only !== "daemon") {
  await runThroughputBench();
  await runIdleConnectionsBench();
  await runKeyGuessingBench();
  await runHostileBodiesBench();
  await runScaleOutBench();
}
if (only !== "server") {
  await runDaemonQueueBench();
  await runPluginLatencyBench();
}
