/**
 * The connection pool for the server's outgoing requests: an undici Agent whose connector refuses targets in the
 * ranges of address-policy.ts. The check runs where the connection is made, on the addresses the name resolved to,
 * and the socket connects to exactly the address that was checked (net.connect's `lookup` is ours), so a name that
 * resolves to a public address when checked and to a private one when connected (DNS rebinding) cannot slip through.
 * An IP literal in the URL never reaches a lookup: the connector checks it itself.
 */

import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { Agent, buildConnector, type Dispatcher } from "undici";
import { ClawTellError } from "../../infra/index.js";
import { refusedRange } from "./address-policy.js";

/** Resolves a host name to its addresses (all of them). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err === null ? resolve(addresses) : reject(err))));

export interface GuardedDispatcherOptions {
  /** Calls to loopback, private and other refused ranges are allowed (tests, a server on a private network). */
  readonly allowPrivate?: boolean;
  /** How host names are resolved. @defaultValue the system resolver */
  readonly resolve?: Resolver;
  /** How long a connection may take to come up. @defaultValue 10000 */
  readonly connectTimeoutMs?: number;
}

/** The refusal of a target address: not worth retrying, and it names the host, the address and its range. */
export function refusedTarget(host: string, address: string, range: string): ClawTellError {
  const what = host === address ? address : `${host} (${address})`;
  return new ClawTellError("CT_FORBIDDEN", `${what} is a ${range} address; the server does not call private addresses`, {
    field: "url",
    retryable: false,
  });
}

/** The lookup that net.connect uses: resolves, refuses the host when ANY of its addresses is refused, pins the rest. */
function guardedLookup(resolve: Resolver, allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        if (!allowPrivate) {
          for (const { address } of addresses) {
            const range = refusedRange(address);
            if (range !== undefined) {
              callback(refusedTarget(hostname, address, range), "", 0);
              return;
            }
          }
        }
        const family = options.family === 4 || options.family === 6 ? options.family : undefined;
        const usable = family === undefined ? addresses : addresses.filter((a) => a.family === family);
        const first = usable[0];
        if (first === undefined) {
          callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", 0);
          return;
        }
        if (options.all === true) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), "", 0),
    );
  };
}

/** An Agent for outgoing requests that never connects to a refused address (unless `allowPrivate`). */
export function createGuardedDispatcher(options: GuardedDispatcherOptions = {}): Dispatcher {
  const allowPrivate = options.allowPrivate === true;
  const base = buildConnector({
    timeout: options.connectTimeoutMs ?? 10_000,
    lookup: guardedLookup(options.resolve ?? systemResolver, allowPrivate),
  });
  const connect: buildConnector.connector = (target, callback) => {
    // An IP literal is connected to without a lookup: judge it here.
    if (!allowPrivate && isIP(target.hostname) !== 0) {
      const range = refusedRange(target.hostname);
      if (range !== undefined) {
        callback(refusedTarget(target.hostname, target.hostname, range), null);
        return;
      }
    }
    base(target, callback);
  };
  return new Agent({ connect });
}
