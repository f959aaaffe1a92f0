/**
 * Which IP addresses the server refuses to call out to (webhooks and attachment URLs): every address that is
 * not a public unicast address of the internet. A target on loopback, a private or link-local network, carrier-grade
 * NAT, a cloud metadata address, multicast or a reserved range would let a caller of the API reach what stands behind
 * the server. IPv6 forms that embed an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4
 * `2002::/16`) are judged by the address they embed.
 */

import { BlockList, isIPv4, isIPv6 } from "node:net";

/** Why an address is refused, in a few words (`loopback`, `private network`, …). */
export type RefusedRange =
  | "unspecified"
  | "loopback"
  | "private network"
  | "carrier-grade NAT"
  | "link-local (cloud metadata)"
  | "link-local"
  | "multicast"
  | "documentation"
  | "reserved"
  | "unique local";

const V4: ReadonlyArray<[string, number, RefusedRange]> = [
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private network"],
  ["100.64.0.0", 10, "carrier-grade NAT"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.169.254", 32, "link-local (cloud metadata)"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private network"],
  ["192.0.0.0", 24, "reserved"],
  ["192.0.2.0", 24, "documentation"],
  ["192.88.99.0", 24, "reserved"],
  ["192.168.0.0", 16, "private network"],
  ["198.18.0.0", 15, "reserved"],
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
];

const V6: ReadonlyArray<[string, number, RefusedRange]> = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  // IPv4-compatible addresses (deprecated); the mapped, NAT64 and 6to4 forms are unwrapped before these are asked.
  ["::", 96, "reserved"],
  ["64:ff9b:1::", 48, "private network"],
  ["100::", 64, "reserved"],
  ["2001:db8::", 32, "documentation"],
  ["2001::", 23, "reserved"],
  ["3fff::", 20, "documentation"],
  ["5f00::", 16, "reserved"],
  ["fd00:ec2::254", 128, "link-local (cloud metadata)"],
  ["fc00::", 7, "unique local"],
  ["fe80::", 10, "link-local"],
  ["fec0::", 10, "private network"],
  ["ff00::", 8, "multicast"],
];

/** One BlockList per range label, asked in table order (the first match names the range). */
function rules(table: ReadonlyArray<[string, number, RefusedRange]>, family: "ipv4" | "ipv6"): Array<[BlockList, RefusedRange]> {
  return table.map(([network, prefix, label]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, family);
    return [list, label];
  });
}

const V4_RULES = rules(V4, "ipv4");
const V6_RULES = rules(V6, "ipv6");

/** The 16 bytes of an IPv6 address (`isIPv6` holds), a trailing dotted quad included. */
function ipv6Bytes(address: string): Uint8Array {
  let text = address.split("%")[0] ?? address;
  const bytes = new Uint8Array(16);
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad !== null) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const groups = (part: string): number[] => (part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16)));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  all.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}

const dotted = (bytes: Uint8Array, at: number): string => Array.from(bytes.subarray(at, at + 4)).join(".");

/** The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4), if it is one of those forms. */
export function embeddedIPv4(address: string): string | undefined {
  const b = ipv6Bytes(address);
  const zeros = (from: number, to: number): boolean => b.subarray(from, to).every((x) => x === 0);
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return dotted(b, 12); // ::ffff:0:0/96
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return dotted(b, 12); // 64:ff9b::/96
  if (b[0] === 0x20 && b[1] === 0x02) return dotted(b, 2); // 2002::/16
  return undefined;
}

/**
 * The range that makes `address` a refused target, or undefined for a public unicast address. Anything that is not an
 * IP address at all is refused too (as `reserved`): the caller resolves names before it asks.
 */
export function refusedRange(address: string): RefusedRange | undefined {
  if (isIPv4(address)) return V4_RULES.find(([list]) => list.check(address, "ipv4"))?.[1];
  if (!isIPv6(address)) return "reserved";
  const bare = address.split("%")[0] ?? address;
  const v4 = embeddedIPv4(bare);
  if (v4 !== undefined) return refusedRange(v4);
  return V6_RULES.find(([list]) => list.check(bare, "ipv6"))?.[1];
}
