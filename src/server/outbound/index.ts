/**
 * The server's outgoing requests (webhooks; attachment URLs later) go through here: no private targets, checked after
 * DNS resolution on the address actually connected to; a timeout on the clock; a cap on the answer; no redirects.
 */
export { refusedRange, embeddedIPv4, type RefusedRange } from "./address-policy.js";
export { createGuardedDispatcher, refusedTarget, systemResolver, type GuardedDispatcherOptions, type Resolver } from "./guarded-dispatcher.js";
export { originOf, sendOutbound, type OutboundAnswer, type OutboundDeps, type OutboundRequest } from "./outbound-request.js";
