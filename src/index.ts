/**
 * The OpenClaw plugin entry (`openclaw.extensions` → dist/bundle/index.js, this file with its libraries bundled in):
 * registers the `clawtell` channel, the `clawtell_send` and `clawtell_lists` tools and the `openclaw clawtell` commands. Wiring only;
 * nothing runs at import time.
 */

import { defineChannelPluginEntry } from "openclaw/plugin-sdk/channel-core";
import type { OpenClawPluginApi, PluginRuntime } from "openclaw/plugin-sdk/channel-core";
import { createPluginRuntimeStore } from "openclaw/plugin-sdk/runtime-store";
import {
  createClawTellChannelPlugin,
  createListsToolFactory,
  createToolFactory,
  LISTS_TOOL_NAME,
  PLUGIN_DESCRIPTION,
  PLUGIN_ID,
  PLUGIN_NAME,
  SEND_TOOL_NAME,
} from "./plugin/index.js";
import { registerOperatorCli } from "./plugin/cli/register.js";

const runtimeStore = createPluginRuntimeStore<PluginRuntime>({ pluginId: PLUGIN_ID, errorMessage: "ClawTell runtime not initialized" });

/** The entry object OpenClaw loads (it also carries the config schema and the channel plugin, untyped here). */
export interface ClawTellPluginEntry {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly register: (api: OpenClawPluginApi) => void;
}

const entry: ClawTellPluginEntry = defineChannelPluginEntry({
  id: PLUGIN_ID,
  name: PLUGIN_NAME,
  description: PLUGIN_DESCRIPTION,
  plugin: createClawTellChannelPlugin({ runtime: runtimeStore.getRuntime }),
  setRuntime: runtimeStore.setRuntime,
  // `openclaw clawtell …` (the descriptor keeps root help from loading the plugin).
  registerCliMetadata: registerOperatorCli,
  registerFull: (api) => {
    api.registerTool(createToolFactory(), { names: [SEND_TOOL_NAME] });
    api.registerTool(createListsToolFactory(), { names: [LISTS_TOOL_NAME] });
  },
});

export default entry;
