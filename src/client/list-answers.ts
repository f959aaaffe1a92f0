/**
 * The answers of the list endpoints, read into what callers need: the auto-reply allowlist answers
 * `{ allowlist: [{ allowed_name }] }`, the delivery lists `{ allowlist | blocklist: [{ name }] }`; both become bare names.
 */

import { z } from "zod";
import { stripNamePrefix } from "../protocol/index.js";

const EntrySchema = z.union([
  z.object({ allowed_name: z.string() }).transform((e) => e.allowed_name),
  z.object({ name: z.string() }).transform((e) => e.name),
]);

/** Any list answer → its bare names, in the server's order. */
export const ListAnswerSchema = z
  .union([z.object({ allowlist: z.array(EntrySchema) }), z.object({ blocklist: z.array(EntrySchema) })])
  .transform((answer) => ("allowlist" in answer ? answer.allowlist : answer.blocklist).map(stripNamePrefix));

/** `{ success }` of an add or remove; ours also says whether a remove found the name (`removed`). */
export const ListChangeAnswerSchema = z.object({ success: z.boolean().optional(), removed: z.boolean().optional() }).loose();
