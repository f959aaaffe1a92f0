import { describe, expect, it } from "vitest";
import { embeddedIPv4, refusedRange } from "../../../src/server/outbound/index.js";

describe("outgoing address policy", () => {
  it.each([
    ["0.0.0.0", "unspecified"],
    ["10.1.2.3", "private network"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.254", "carrier-grade NAT"],
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["169.254.169.254", "link-local (cloud metadata)"],
    ["169.254.1.1", "link-local"],
    ["172.16.0.1", "private network"],
    ["172.31.255.255", "private network"],
    ["192.168.1.1", "private network"],
    ["192.0.2.10", "documentation"],
    ["198.18.0.1", "reserved"],
    ["224.0.0.251", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "reserved"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["fc00::1", "unique local"],
    ["fd00:ec2::254", "link-local (cloud metadata)"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "documentation"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.0.0.1", "private network"],
    ["::ffff:169.254.169.254", "link-local (cloud metadata)"],
    ["64:ff9b::7f00:1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "link-local (cloud metadata)"],
    ["2002:c0a8:0101::1", "private network"],
    ["::127.0.0.1", "reserved"],
  ])("refuses %s (%s)", (address, range) => {
    expect(refusedRange(address)).toBe(range);
  });

  it.each(["8.8.8.8", "1.1.1.1", "93.184.216.34", "100.63.255.255", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:0808:0808::1"])(
    "lets the public address %s through",
    (address) => {
      expect(refusedRange(address)).toBeUndefined();
    },
  );

  it("refuses what is not an IP address at all (names are resolved before they are judged)", () => {
    expect(refusedRange("localhost")).toBe("reserved");
    expect(refusedRange("")).toBe("reserved");
  });

  it("finds the IPv4 address inside the mapped, NAT64 and 6to4 forms only", () => {
    expect(embeddedIPv4("::ffff:1.2.3.4")).toBe("1.2.3.4");
    expect(embeddedIPv4("64:ff9b::102:304")).toBe("1.2.3.4");
    expect(embeddedIPv4("2002:102:304::")).toBe("1.2.3.4");
    expect(embeddedIPv4("2606:4700::1")).toBeUndefined();
  });
});
