/**
 * The flags of `clawtell server` for registration, dashboard sign-in and mail, each with its environment variable,
 * checked and turned into the server's `signup` options. `--max-names-per-account` is shared with
 * `clawtell admin create-name`.
 */

import type { Command } from "commander";
import { ClawTellError } from "../../infra/errors.js";
import type { SignupOptions } from "../../server/index.js";

export interface SignupFlags {
  registration?: string;
  maxNamesPerAccount?: string;
  publicUrl?: string;
  smtpUrl?: string;
  mailFrom?: string;
  signupRateLimit?: string;
}

const HOUR_MS = 60 * 60 * 1000;

/** Adds the flags to `clawtell server`. */
export function addSignupOptions(command: Command): Command {
  return command
    .option("--registration <mode>", "who may register names over the API: open, closed or invite (default: $CLAWTELL_REGISTRATION; open on a loopback --host, closed otherwise)")
    .option("--max-names-per-account <n>", "names one account may own (default: $CLAWTELL_MAX_NAMES_PER_ACCOUNT or 5)")
    .option("--public-url <url>", "the URL users reach this server at, for links in mail (default: $CLAWTELL_PUBLIC_URL, else the listening address)")
    .option("--smtp-url <url>", "send mail through smtp://[user:pass@]host:port or smtps://… (default: $CLAWTELL_SMTP_URL; without one, links are logged)")
    .option("--mail-from <address>", "the sender of mail, e.g. 'ClawTell <noreply@example.com>' (default: $CLAWTELL_MAIL_FROM)")
    .option("--signup-rate-limit <n>", "registrations and sign-in links per caller address and hour, together (default 10; 0 = no limit)");
}

const given = (value: string | undefined): string | undefined => (value === undefined || value.trim() === "" ? undefined : value.trim());

function wholeNumber(raw: string, flag: string, min: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new ClawTellError("CT_BAD_REQUEST", `--${flag}: "${raw}" is not a whole number of ${min} or more`, { field: flag });
  }
  return n;
}

/** `--max-names-per-account`, else `CLAWTELL_MAX_NAMES_PER_ACCOUNT`, else 5. */
export function maxNamesPerAccount(flag: string | undefined, env: NodeJS.ProcessEnv): number {
  const raw = given(flag) ?? given(env["CLAWTELL_MAX_NAMES_PER_ACCOUNT"]);
  return raw === undefined ? 5 : wholeNumber(raw, "max-names-per-account", 1);
}

/** The origin of `--public-url`: an http(s) URL without a path. */
function parsePublicUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ClawTellError("CT_BAD_REQUEST", `--public-url: "${raw}" is not a URL`, { field: "public-url" });
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || (url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.hash !== "") {
    throw new ClawTellError("CT_BAD_REQUEST", `--public-url: "${raw}" must be http(s)://host[:port] with no path (the server answers at the root)`, {
      field: "public-url",
    });
  }
  return url.origin;
}

/** The `signup` options of the server bound to `host`, from the flags and the environment. */
export async function resolveSignupOptions(flags: SignupFlags, env: NodeJS.ProcessEnv, host: string): Promise<SignupOptions> {
  const { REGISTRATION_MODES, isLoopbackHost } = await import("../../server/index.js");
  const mode = given(flags.registration) ?? given(env["CLAWTELL_REGISTRATION"]) ?? (isLoopbackHost(host) ? "open" : "closed");
  const registration = REGISTRATION_MODES.find((m) => m === mode);
  if (registration === undefined) {
    throw new ClawTellError("CT_BAD_REQUEST", `--registration: "${mode}" is not one of ${REGISTRATION_MODES.join(", ")}`, { field: "registration" });
  }
  const rawPublicUrl = given(flags.publicUrl) ?? given(env["CLAWTELL_PUBLIC_URL"]);
  const publicUrl = rawPublicUrl === undefined ? undefined : parsePublicUrl(rawPublicUrl);
  if (registration !== "closed" && publicUrl === undefined && !isLoopbackHost(host)) {
    throw new ClawTellError(
      "CT_BAD_REQUEST",
      `--public-url: registration is ${registration} on ${host}; give the URL users reach this server at (the links in mail point there)`,
      { field: "public-url" },
    );
  }
  const smtpUrl = given(flags.smtpUrl) ?? given(env["CLAWTELL_SMTP_URL"]);
  if (smtpUrl !== undefined && !/^smtps?:\/\/[^/]/i.test(smtpUrl)) {
    throw new ClawTellError("CT_BAD_REQUEST", "--smtp-url: expected smtp://host:port or smtps://host:port", { field: "smtp-url" });
  }
  const mailFrom = given(flags.mailFrom) ?? given(env["CLAWTELL_MAIL_FROM"]);
  const rateLimit = given(flags.signupRateLimit);
  return {
    registration,
    maxNamesPerAccount: maxNamesPerAccount(flags.maxNamesPerAccount, env),
    ...(publicUrl === undefined ? {} : { publicUrl }),
    ...(smtpUrl === undefined ? {} : { smtpUrl }),
    ...(mailFrom === undefined ? {} : { mailFrom }),
    ...(rateLimit === undefined ? {} : { rateLimit: { max: wholeNumber(rateLimit, "signup-rate-limit", 0), windowMs: HOUR_MS } }),
  };
}

/** What the start-up log line says of registration: its mode, and whether links are mailed or logged. */
export function signupLog(options: SignupOptions): { registration: string; mail: string } {
  return { registration: options.registration ?? "closed", mail: options.smtpUrl === undefined ? "links logged at info level" : "smtp" };
}
