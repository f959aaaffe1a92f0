// The in-memory twin passes the same contract as the file store.
import { createMemoryQueueStore } from "../../../src/daemon/queue/index.js";
import { describeQueueStoreContract } from "./queue-store-contract.js";

describeQueueStoreContract("memory", async (deps) => createMemoryQueueStore(deps));
