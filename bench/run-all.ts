/** Runs every benchmark in sequence and prints their figures (`npm run bench`). Loopback only; never part of `npm test`. */
import { runDaemonQueueBench } from "./daemon-queue.js";
import { runIdleConnectionsBench } from "./server-idle-connections.js";
import { runThroughputBench } from "./server-throughput.js";

await runThroughputBench();
await runIdleConnectionsBench();
await runDaemonQueueBench();
