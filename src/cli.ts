#!/usr/bin/env node
/**
 * The `clawtell` bin. It turns Node's compile cache on before it loads the commands (cli-main.ts): a module compiled
 * before the cache is on is compiled anew at every start, and in the bundle the commands are one file of several MB,
 * whose compiling was a quarter of a short command's start.
 */
import { enableCompileCache } from "node:module";

enableCompileCache();
await import("./cli-main.js");
