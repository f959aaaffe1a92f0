#!/usr/bin/env node
/**
 * The `clawtell` bin. It checks the Node.js it runs on, then turns Node's compile cache on before it loads the
 * commands (cli-main.ts): a module compiled before the cache is on is compiled anew at every start, and in the bundle
 * the commands are one file of several MB, whose compiling was a quarter of a short command's start.
 */
import module from "node:module";
import { unsupportedNode } from "./infra/node-support.js";

const unsupported = unsupportedNode(process.versions.node);
if (unsupported !== undefined) {
  process.stderr.write(`error: ${unsupported}\n`);
  process.exit(1);
}
module.enableCompileCache();
await import("./cli-main.js");
