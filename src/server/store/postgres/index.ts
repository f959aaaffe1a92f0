/** The PostgreSQL backend of the storage ports. */
export { openPostgresStorage, type PostgresStorage, type PostgresStorageOptions } from "./postgres-storage.js";
export { MIGRATIONS, type Migration } from "./migrations.js";
export { HEARTBEAT_INTERVAL_MS, HEARTBEAT_STALE_MS } from "./pg-processes.js";
