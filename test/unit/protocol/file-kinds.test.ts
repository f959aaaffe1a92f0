import { describe, expect, it } from "vitest";
import { BLOCKED_EXTENSIONS, fileNameProblem, isExecutableContent, normaliseFileName } from "../../../src/protocol/index.js";

describe("file kinds", () => {
  it.each(["evil.exe.", "evil.exe ", "evil.exe. . ", "EVIL.EXE", "evil.js", "evil.hta", "evil.lnk", "evil.wsf", "evil.vbe", "evil.jse", "evil.msc", "evil.reg", "evil.iso", "ｅｖｉｌ.ｅｘｅ", "evil.e\u200bxe", "report\u202Efdp.exe"])(
    "refuses %j as an executable",
    (name) => expect(fileNameProblem(name)).toBe("executables are not accepted"),
  );

  it.each(["evil.exe::$DATA", "a<b.txt", 'a"b.txt', "a|b.txt", "a?.txt", "a*.txt"])("refuses %j for characters Windows cannot store", (name) => {
    expect(fileNameProblem(name)).toBe('must not contain < > : " | ? *');
  });

  it.each(["..", ". .", "dir/a.txt", "a\\b.txt", "a\u0000.txt"])("refuses %j as not a plain file name", (name) => {
    expect(fileNameProblem(name)).toMatch(/plain file name/);
  });

  it("accepts ordinary names and stores them as Windows would", () => {
    expect(fileNameProblem("nøtes (v2).txt")).toBeUndefined();
    expect(fileNameProblem("report.pdf.")).toBeUndefined();
    expect(normaliseFileName("report.pdf. ")).toBe("report.pdf");
    expect(normaliseFileName("ｒｅｐｏｒｔ.pdf")).toBe("report.pdf");
  });

  it("lists every extension once, lowercase", () => {
    expect(new Set(BLOCKED_EXTENSIONS).size).toBe(BLOCKED_EXTENSIONS.length);
    for (const extension of BLOCKED_EXTENSIONS) expect(extension).toMatch(/^[a-z0-9-]+$/);
  });

  it.each([
    ["a Windows program", [0x4d, 0x5a, 0x90, 0x00]],
    ["an ELF program", [0x7f, 0x45, 0x4c, 0x46, 0x02]],
    ["a Mach-O program", [0xcf, 0xfa, 0xed, 0xfe, 0x07]],
    ["a script", [...Buffer.from("#!/bin/sh\nrm -rf ~\n")]],
    ["a Windows shortcut", [0x4c, 0x00, 0x00, 0x00, 0x01, 0x14, 0x02, 0x00, 0x00]],
  ])("recognises %s by its first bytes", (_what, bytes) => {
    expect(isExecutableContent(Uint8Array.from(bytes))).toBe(true);
  });

  it("does not take documents for programs", () => {
    for (const text of ["%PDF-1.7\n", "\u0089PNG\r\n", "hello", "# Title\n", ""]) expect(isExecutableContent(Buffer.from(text, "latin1"))).toBe(false);
  });
});
