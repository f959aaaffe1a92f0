/**
 * Who is calling: set once per request by the authenticated context's hook, read by its routes. Routes that act for
 * one name read `callerOf`: a key's name, or the name a dashboard session chose with `X-ClawTell-Name` (a session
 * that chose none is refused there with a 400 naming the header). Account-level routes of the dashboard read
 * `sessionOf`.
 */

import type { FastifyRequest } from "fastify";
import { ClawTellError } from "../../infra/index.js";
import { NAME_HEADER, type Caller, type RequestCaller, type SessionCaller } from "../auth.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The authenticated caller; `null` outside the authenticated context. */
    caller: RequestCaller | null;
  }
}

function requestCallerOf(request: FastifyRequest): RequestCaller {
  const { caller } = request;
  if (caller === null || caller === undefined) throw new ClawTellError("CT_INTERNAL", `${request.routeOptions.url ?? "route"} is not in the authenticated context`);
  return caller;
}

/** The name a route of the authenticated context acts for. */
export function callerOf(request: FastifyRequest): Caller {
  const caller = requestCallerOf(request);
  if (caller.via === "key") return caller;
  if (caller.name === null) {
    throw new ClawTellError("CT_BAD_REQUEST", "X-ClawTell-Name: a dashboard session acts for its account; name which of its names this call is for", {
      field: NAME_HEADER,
    });
  }
  return { name: caller.name, accountId: caller.accountId };
}

/** The dashboard session of a route for sessions only; CT_FORBIDDEN for a request made with an API key. */
export function sessionOf(request: FastifyRequest): SessionCaller {
  const caller = requestCallerOf(request);
  if (caller.via !== "session") throw new ClawTellError("CT_FORBIDDEN", "This call is for dashboard sessions (sign in with a login link), not API keys");
  return caller;
}
