/** Moving a data folder's accounts and messages into PostgreSQL (`clawtell admin migrate`). */
export {
  migrateToPostgres,
  DEFAULT_BATCH_SIZE,
  FILE_CONTENTS,
  type MigrateOptions,
  type MigrateProgress,
  type MigrationReport,
  type TableCheck,
  type TableReport,
  type TargetState,
} from "./migrate.js";
export { MIGRATION_STATE_FILE } from "./migration-state.js";
