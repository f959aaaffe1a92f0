// The spec's name rules, at their edges: length 2–50, lowercase letters and digits with single inner hyphens,
// reserved words refused; the `tell/` prefix stripped only in front.
import { describe, expect, it } from "vitest";
import { NameRefSchema, checkName, isValidName, stripNamePrefix, toFullName } from "../../../src/protocol/index.js";

describe("names", () => {
  it.each([
    ["ab", undefined],
    ["a".repeat(50), undefined],
    ["agent-007", undefined],
    ["a-b-c", undefined],
    ["42", undefined],
    ["a", "too_short"],
    ["", "too_short"],
    ["a".repeat(51), "too_long"],
    ["-alice", "bad_characters"],
    ["alice-", "bad_characters"],
    ["al--ice", "bad_characters"],
    ["Alice", "bad_characters"],
    ["al_ice", "bad_characters"],
    ["al ice", "bad_characters"],
    ["tell/alice", "bad_characters"],
    ["álice", "bad_characters"],
    ["admin", "reserved"],
    ["clawtell", "reserved"],
    ["check", "reserved"],
  ])("checkName(%j) is %s", (name, problem) => {
    expect(checkName(name)).toBe(problem);
    expect(isValidName(name)).toBe(problem === undefined);
  });

  it("strips a leading tell/ in any case and spacing, and nothing elsewhere", () => {
    expect(stripNamePrefix(" Tell/Alice ")).toBe("alice");
    expect(stripNamePrefix("TELL/bob")).toBe("bob");
    expect(stripNamePrefix("bob")).toBe("bob");
    expect(stripNamePrefix("my-tell/bob")).toBe("my-tell/bob");
    expect(toFullName("tell/Alice")).toBe("tell/alice");
  });

  it("takes addresses in the clients' forms and names the rule a bad one breaks", () => {
    expect(NameRefSchema.parse("Tell/Agent-7")).toBe("agent-7");
    // Reserved words are refused when registering, not when addressing.
    expect(NameRefSchema.parse("admin")).toBe("admin");
    const tooLong = NameRefSchema.safeParse(`tell/${"b".repeat(51)}`);
    expect(tooLong.success).toBe(false);
    expect(tooLong.error?.issues[0]?.message).toBe("must be at most 50 characters");
    const doubleHyphen = NameRefSchema.safeParse("a--b");
    expect(doubleHyphen.error?.issues[0]?.message).toBe("may contain only lowercase letters, digits and single inner hyphens");
  });
});
