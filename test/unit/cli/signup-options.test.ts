// The registration flags of `clawtell server`: open by default on a loopback address, closed on any other; an open
// server on another address needs the public URL its links point at; environment variables stand in for flags.
import { describe, expect, it } from "vitest";
import { resolveSignupOptions } from "../../../src/cli/commands/signup-options.js";
import { isLoopbackHost } from "../../../src/server/index.js";

describe("clawtell server registration flags", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["::1", true],
    ["[::1]", true],
    ["localhost", true],
    ["0.0.0.0", false],
    ["::", false],
    ["192.168.1.10", false],
    ["tell.example.com", false],
  ])("isLoopbackHost(%j) is %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it("defaults to open on a loopback address and closed on any other", async () => {
    expect(await resolveSignupOptions({}, {}, "127.0.0.1")).toEqual({ registration: "open", maxNamesPerAccount: 5 });
    expect(await resolveSignupOptions({}, {}, "0.0.0.0")).toEqual({ registration: "closed", maxNamesPerAccount: 5 });
  });

  it("opening registration on another address needs the public URL the links point at", async () => {
    await expect(resolveSignupOptions({ registration: "open" }, {}, "0.0.0.0")).rejects.toMatchObject({ field: "public-url" });
    await expect(resolveSignupOptions({}, { CLAWTELL_REGISTRATION: "invite" }, "0.0.0.0")).rejects.toThrow(/--public-url: registration is invite on 0\.0\.0\.0/);
    expect(await resolveSignupOptions({ registration: "open", publicUrl: "https://tell.example.com/" }, {}, "0.0.0.0")).toMatchObject({
      registration: "open",
      publicUrl: "https://tell.example.com",
    });
  });

  it("reads each setting from its environment variable when the flag is absent; a flag wins", async () => {
    const env = {
      CLAWTELL_REGISTRATION: "invite",
      CLAWTELL_PUBLIC_URL: "https://tell.example.com",
      CLAWTELL_SMTP_URL: "smtp://mail.example.com:587",
      CLAWTELL_MAIL_FROM: "ClawTell <noreply@example.com>",
      CLAWTELL_MAX_NAMES_PER_ACCOUNT: "12",
    };
    expect(await resolveSignupOptions({ signupRateLimit: "30" }, env, "0.0.0.0")).toEqual({
      registration: "invite",
      publicUrl: "https://tell.example.com",
      smtpUrl: "smtp://mail.example.com:587",
      mailFrom: "ClawTell <noreply@example.com>",
      maxNamesPerAccount: 12,
      rateLimit: { max: 30, windowMs: 3_600_000 },
    });
    expect(await resolveSignupOptions({ registration: "closed", maxNamesPerAccount: "3" }, env, "0.0.0.0")).toMatchObject({ registration: "closed", maxNamesPerAccount: 3 });
  });
});
