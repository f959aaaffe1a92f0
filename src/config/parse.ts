/** Parsing `channels.clawtell` with errors that name the exact path, e.g. `channels.clawtell.routing.alice.agent`. */

import type { z } from "zod";
import { ClawTellError } from "../infra/index.js";
import { ChannelConfigSchema, type ChannelConfig } from "./schema.js";

/** `a.b.0.c` from a zod issue path, prefixed with where the section sits. */
function joinPath(base: string, path: readonly PropertyKey[]): string {
  return [base, ...path.map(String)].filter((p) => p !== "").join(".");
}

/** One line per zod issue, `<path>: <problem>`; unknown keys get one line each. */
export function formatIssues(base: string, error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = joinPath(base, issue.path);
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => `${joinPath(path, [key])}: unknown key`).join("\n");
    }
    return `${path}: ${issue.message}`;
  });
}

/** Validates `channels.clawtell`; throws CT_CONFIG_INVALID listing every problem, `field` = the first path. */
export function parseChannelConfig(raw: unknown, path = "channels.clawtell"): ChannelConfig {
  const result = ChannelConfigSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const lines = formatIssues(path, result.error).flatMap((l) => l.split("\n"));
  const first = lines[0]?.split(":")[0] ?? path;
  throw new ClawTellError("CT_CONFIG_INVALID", `invalid ClawTell configuration:\n  ${lines.join("\n  ")}`, {
    field: first,
    cause: result.error,
  });
}
