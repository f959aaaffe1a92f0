/**
 * The server's outgoing requests (webhooks and attachment URLs) go through here: no private targets, checked after
 * DNS resolution on the address actually connected to; a timeout on the clock; a cap on the answer; no redirects for
 * webhooks, a few for downloads (each hop through the same guard).
 */
export { refusedRange, embeddedIPv4, type RefusedRange } from "./address-policy.js";
export { createGuardedDispatcher, refusedTarget, systemResolver, type GuardedDispatcherOptions, type Resolver } from "./guarded-dispatcher.js";
export { originOf, sendOutbound, type OutboundAnswer, type OutboundDeps, type OutboundRequest } from "./outbound-request.js";
export { withDownload, type Download, type DownloadRequest } from "./outbound-download.js";
