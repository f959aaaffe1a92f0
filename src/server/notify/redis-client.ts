/**
 * The Redis client class, for the modules that load ioredis only when they first need it
 * (`import("./redis-client.js")`). ioredis is CommonJS: imported through this ES module, its `Redis` export is found
 * the same way in the compiled code and in the bundle, whose chunk for a CommonJS package imported with `import()`
 * would export it as `default` only.
 */

export { Redis } from "ioredis";
