/** Who is calling: set once per request by the authenticated context's hook, read by its routes. */

import type { FastifyRequest } from "fastify";
import { ClawTellError } from "../../infra/index.js";
import type { Caller } from "../auth.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The authenticated caller; `null` outside the authenticated context. */
    caller: Caller | null;
  }
}

/** The caller of a route of the authenticated context. */
export function callerOf(request: FastifyRequest): Caller {
  const { caller } = request;
  if (caller === null || caller === undefined) throw new ClawTellError("CT_INTERNAL", `${request.routeOptions.url ?? "route"} is not in the authenticated context`);
  return caller;
}
