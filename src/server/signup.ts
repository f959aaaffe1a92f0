/**
 * Registration by email and dashboard sign-in, put together for one server: the mailer (SMTP or logged links), the
 * registration and session services, and the periodic clean-up. Links in mail point at the server's public URL, or
 * at the address it listens on.
 */

import type { Server } from "node:http";
import type { Clock, Logger } from "../infra/index.js";
import { DEFAULT_MAX_NAMES_PER_ACCOUNT } from "./account-rules.js";
import { DEFAULT_BCRYPT_COST } from "./api-keys.js";
import { createMailer, createSmtpTransport, type MailTransport } from "./mailer.js";
import { createRegistrations, type RegistrationMode, type Registrations } from "./registration.js";
import { createSessions, type Sessions } from "./sessions.js";
import { startSignupCleanup } from "./signup-cleanup.js";
import type { RateLimit } from "./context.js";
import type { Storage } from "./store/index.js";

export interface SignupOptions {
  /**
   * Who may register over the API: `open`, `closed` (403 CT_REGISTRATION_CLOSED; the operator's CLI makes names) or
   * `invite` (an invite code from `clawtell admin invite`). @defaultValue `closed` here; `startServer` opens it on a
   * loopback address and keeps it closed on any other.
   */
  registration?: RegistrationMode;
  /** Names one account may own. @defaultValue 5 */
  maxNamesPerAccount?: number;
  /** The origin links in mail point at, e.g. `https://tell.example.com`. @defaultValue the address the server listens on */
  publicUrl?: string;
  /** `smtp://[user:pass@]host:port` (or `smtps://`) to send mail through; without it, links are logged at info level. */
  smtpUrl?: string;
  /** The sender of the mail. @defaultValue `ClawTell <noreply@localhost>` */
  mailFrom?: string;
  /** Registrations and sign-in links asked for per caller address, together. @defaultValue 10 per hour */
  rateLimit?: RateLimit;
  /** How often ended sign-ins, sessions and registrations are deleted. @defaultValue 600000 */
  cleanupIntervalMs?: number;
}

/** Registrations and sign-in links per caller address and hour, unless the operator says otherwise. */
export const DEFAULT_SIGNUP_RATE_LIMIT: Required<RateLimit> = { max: 10, windowMs: 60 * 60 * 1000 };

export interface SignupServices {
  readonly registrations: Registrations;
  readonly sessions: Sessions;
  /** The origin links in mail point at. */
  origin(): string;
}

export interface Signup extends SignupServices {
  /** Stops the clean-up and waits for mail still being sent. */
  close(): Promise<void>;
}

export function createSignup(deps: {
  storage: Storage;
  clock: Clock;
  logger: Logger;
  options: SignupOptions;
  bcryptCost?: number | undefined;
  /** Delivers mail instead of `options.smtpUrl` (an embedding program's own transport). */
  transport?: MailTransport | undefined;
  /** The server, for the address it listens on. */
  server: () => Server;
}): Signup {
  const { storage, clock, logger, options } = deps;
  const transport = deps.transport ?? (options.smtpUrl === undefined ? undefined : createSmtpTransport(options.smtpUrl));
  const mailer = createMailer({ transport, from: options.mailFrom, logger });
  const origin = (): string => options.publicUrl ?? listeningOrigin(deps.server());
  const registrations = createRegistrations({
    directory: storage.directory,
    registrations: storage.registrations,
    mailer,
    clock,
    logger,
    origin,
    mode: options.registration ?? "closed",
    maxNamesPerAccount: options.maxNamesPerAccount ?? DEFAULT_MAX_NAMES_PER_ACCOUNT,
    bcryptCost: deps.bcryptCost ?? DEFAULT_BCRYPT_COST,
  });
  const sessions = createSessions({ directory: storage.directory, sessions: storage.sessions, mailer, clock, origin });
  const cleanup = startSignupCleanup({
    registrations: storage.registrations,
    sessions: storage.sessions,
    clock,
    logger,
    intervalMs: options.cleanupIntervalMs ?? 600_000,
  });
  return {
    registrations,
    sessions,
    origin,
    async close() {
      await cleanup.stop();
      await mailer.close();
    },
  };
}

/** `http://<address>:<port>` of a listening server (`localhost` for a wildcard address). */
function listeningOrigin(server: Server): string {
  const address = server.address();
  if (typeof address !== "object" || address === null) return "http://localhost";
  const wildcard = address.address === "0.0.0.0" || address.address === "::";
  const host = wildcard ? "localhost" : address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** Whether the server listens on this machine only (`127.0.0.0/8`, `::1`, `localhost`). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare) || /^::ffff:127(\.\d{1,3}){3}$/.test(bare);
}

/** The registration mode when none is given: open on a loopback address, closed on any other. */
export function defaultRegistrationMode(host: string): RegistrationMode {
  return isLoopbackHost(host) ? "open" : "closed";
}
