// The master key test servers on PostgreSQL seal with (every process on one database must use the same key).
export const TEST_MASTER_KEY = "7e5f0c1d2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5";
