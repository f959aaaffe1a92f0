/**
 * Registration by email: an agent asks for a name for an email (`request`), the email's owner opens the link mailed to
 * them (`verify`), and the agent, polling with its token (`status`), receives the name's API key once.
 *
 * - A pending registration reserves nothing: two agents may ask for one name, and the first verified gets it (the
 *   other then reads `failed`). The link works for {@link REGISTRATION_TTL_MS}; the record stays
 *   {@link REGISTRATION_KEPT_MS} longer so that a late poll still learns how it ended, then it is deleted.
 * - The request answers the same whether or not the email has an account: the names-per-account limit is checked
 *   when the link is opened, and the owner reads it there.
 * - Verification makes the email's account if it has none and the name with a key nobody holds; the first poll after
 *   it gives the name a new key and answers it: the only time the key is shown. A later poll reads `verified`
 *   without it (a lost key is replaced with `POST /api/keys/rotate` from a dashboard session, or `clawtell admin
 *   rotate-key`).
 */

import { randomBytes } from "node:crypto";
import { ClawTellError, type Clock, type Logger } from "../infra/index.js";
import { toFullName, stripNamePrefix } from "../protocol/index.js";
import { nameLimitProblem, parseEmail } from "./account-rules.js";
import { replaceKey } from "./api-keys.js";
import { recordAudit } from "./audit.js";
import { describeRegistrationNameProblem, registrationNameProblem } from "./blocked-names.js";
import { registrationMail } from "./mail-texts.js";
import type { Mailer } from "./mailer.js";
import { newToken, tokenHash, wellFormedToken } from "./secret-tokens.js";
import type { DirectoryStore, RegistrationRecord, RegistrationStore } from "./store/index.js";

/** Who may register names over the API: anyone, nobody (the operator's CLI only), or holders of an invite code. */
export type RegistrationMode = "open" | "closed" | "invite";
export const REGISTRATION_MODES: readonly RegistrationMode[] = ["open", "closed", "invite"];

/** How long a verification link works. */
export const REGISTRATION_TTL_MS = 24 * 60 * 60 * 1000;
/** How long a registration's record outlives its link, so that a late poll still learns how it ended. */
export const REGISTRATION_KEPT_MS = 7 * 24 * 60 * 60 * 1000;
/** How often the registering agent is asked to poll (the spec's 10 seconds). */
export const POLL_INTERVAL_SECONDS = 10;
/** The path of the verification link. */
export const VERIFY_REGISTRATION_PATH = "/api/register/verify";

export interface RegistrationRequest {
  readonly name: string;
  readonly email: string;
  readonly invite?: string | undefined;
}

export interface RequestedRegistration {
  readonly pollToken: string;
  readonly name: string;
  readonly expiresAt: number;
  /** Whether the link was mailed (false: the server sends no mail, and its operator hands the link on). */
  readonly mailed: boolean;
}

/** What opening a verification link did. */
export type VerifyOutcome =
  | { readonly kind: "verified"; readonly name: string; readonly email: string }
  | { readonly kind: "already_verified"; readonly name: string }
  | { readonly kind: "failed"; readonly name: string; readonly failure: string }
  | { readonly kind: "expired"; readonly name: string }
  | { readonly kind: "unknown" };

export type RegistrationStatus =
  | { readonly status: "pending"; readonly name: string; readonly expiresAt: number }
  | { readonly status: "verified"; readonly name: string; readonly apiKey?: string }
  | { readonly status: "expired"; readonly name: string }
  | { readonly status: "failed"; readonly name: string; readonly failure: string };

export interface Registrations {
  readonly mode: RegistrationMode;
  /** Records a pending registration and mails its link; CT_BAD_REQUEST / CT_CONFLICT / CT_FORBIDDEN name the field. */
  request(input: RegistrationRequest, ip: string | null): Promise<RequestedRegistration>;
  verify(token: string, ip: string | null): Promise<VerifyOutcome>;
  /** CT_NOT_FOUND for a token no registration has (never issued, or deleted long after it ended). */
  status(pollToken: string, ip: string | null): Promise<RegistrationStatus>;
}

export interface RegistrationDeps {
  readonly directory: DirectoryStore;
  readonly registrations: RegistrationStore;
  readonly mailer: Mailer;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The origin links in mail point at (this server as its users reach it). */
  readonly origin: () => string;
  readonly mode: RegistrationMode;
  readonly maxNamesPerAccount: number;
  /** bcrypt cost of the keys handed out. */
  readonly bcryptCost: number;
}

/** The key prefix of a name verified but not yet given its key: never a key's prefix, so nothing authenticates. */
const NO_KEY_PREFIX = "#unissued:";

export function createRegistrations(deps: RegistrationDeps): Registrations {
  const { directory, registrations, clock } = deps;

  /** The name as it will be made, or CT_BAD_REQUEST / CT_CONFLICT naming the field. */
  const checkNameFree = async (raw: string): Promise<string> => {
    const name = stripNamePrefix(raw);
    const problem = registrationNameProblem(name);
    if (problem !== undefined) throw new ClawTellError("CT_BAD_REQUEST", `name: "${name}" ${describeRegistrationNameProblem(problem)}`, { field: "name" });
    if ((await directory.findNameByName(name)) !== undefined) throw new ClawTellError("CT_CONFLICT", `name: tell/${name} is already taken`, { field: "name" });
    return name;
  };

  const failRegistration = async (registration: RegistrationRecord, failure: string): Promise<VerifyOutcome> => {
    await registrations.failRegistration(registration.id, failure);
    return { kind: "failed", name: registration.name, failure };
  };

  /** Makes the account (if new) and the name, with no usable key yet; answers why not when it cannot. */
  const makeName = async (registration: RegistrationRecord, now: number): Promise<string | undefined> => {
    const account = await directory.insertAccount({ id: `acc_${randomBytes(8).toString("hex")}`, email: registration.email, createdAt: now });
    try {
      await directory.insertName({
        name: registration.name,
        accountId: account.id,
        keyPrefix: `${NO_KEY_PREFIX}${registration.id}`,
        keyHash: "!",
        communicationMode: "allowlist_only",
        deliveryPolicy: "everyone",
        webhookUrl: null,
        webhookSecret: null,
        createdAt: now,
      }, { maxNamesPerAccount: deps.maxNamesPerAccount });
    } catch (err) {
      if (err instanceof ClawTellError && err.code === "CT_CONFLICT") return `tell/${registration.name} was registered by someone else first`;
      // Another verification for the same account took its last free place since the check in verify().
      if (err instanceof ClawTellError && err.code === "CT_FORBIDDEN") return err.message;
      throw err;
    }
    await recordAudit(directory, clock, { action: "name.created", name: registration.name, actor: registration.email, detail: `account ${account.id}` });
    return undefined;
  };

  return {
    mode: deps.mode,

    async request(input, ip) {
      if (deps.mode === "closed") throw closedError();
      const name = await checkNameFree(input.name);
      const email = parseEmail(input.email);
      if (deps.mode === "invite") {
        const code = input.invite?.trim() ?? "";
        if (code === "") throw new ClawTellError("CT_BAD_REQUEST", "invite: this server registers names by invitation; ask its operator for an invite code", { field: "invite" });
        if (!(await registrations.useInvite(tokenHash(code)))) {
          throw new ClawTellError("CT_FORBIDDEN", "invite: this invite code is unknown or used up", { field: "invite" });
        }
      }
      const now = clock.now();
      const pollToken = newToken();
      const verifyToken = newToken();
      const link = `${deps.origin()}${VERIFY_REGISTRATION_PATH}?token=${verifyToken}`;
      const registration: RegistrationRecord = {
        id: `reg_${randomBytes(8).toString("hex")}`,
        name,
        email,
        pollHash: tokenHash(pollToken),
        verifyHash: tokenHash(verifyToken),
        verifyUrl: link,
        ip,
        createdAt: now,
        expiresAt: now + REGISTRATION_TTL_MS,
        verifiedAt: null,
        keyIssuedAt: null,
        failure: null,
      };
      await registrations.insertRegistration(registration);
      await recordAudit(directory, clock, { action: "registration.requested", name, actor: email, ip, detail: registration.id });
      const mail = registrationMail({ name, link, validForMs: REGISTRATION_TTL_MS, origin: deps.origin() });
      await deps.mailer.send({ to: email, ...mail, link, purpose: "registration" });
      return { pollToken, name, expiresAt: registration.expiresAt, mailed: deps.mailer.delivers };
    },

    async verify(rawToken, ip) {
      const token = wellFormedToken(rawToken);
      const registration = token === undefined ? undefined : await registrations.findRegistrationByVerifyHash(tokenHash(token));
      if (registration === undefined) return { kind: "unknown" };
      const now = clock.now();
      if (registration.failure !== null) return { kind: "failed", name: registration.name, failure: registration.failure };
      if (registration.verifiedAt !== null) return { kind: "already_verified", name: registration.name };
      if (registration.expiresAt <= now) return { kind: "expired", name: registration.name };
      if ((await directory.findNameByName(registration.name)) !== undefined) {
        return failRegistration(registration, `tell/${registration.name} was registered by someone else first`);
      }
      const full = await nameLimitProblem(directory, registration.email, deps.maxNamesPerAccount);
      if (full !== undefined) return failRegistration(registration, full);
      // Of two clicks racing (two processes, a double click), one goes on.
      if (!(await registrations.markRegistrationVerified(registration.id, now))) {
        const again = await registrations.findRegistrationByVerifyHash(registration.verifyHash);
        return again?.failure != null
          ? { kind: "failed", name: registration.name, failure: again.failure }
          : { kind: "already_verified", name: registration.name };
      }
      const problem = await makeName(registration, now);
      if (problem !== undefined) return failRegistration(registration, problem);
      await recordAudit(directory, clock, { action: "registration.verified", name: registration.name, actor: registration.email, ip, detail: registration.id });
      return { kind: "verified", name: registration.name, email: registration.email };
    },

    async status(rawToken, ip) {
      const token = wellFormedToken(rawToken);
      const registration = token === undefined ? undefined : await registrations.findRegistrationByPollHash(tokenHash(token));
      if (registration === undefined) throw new ClawTellError("CT_NOT_FOUND", "token: no registration has this poll token (it may have ended long ago)", { field: "token" });
      const { name } = registration;
      if (registration.failure !== null) return { status: "failed", name, failure: registration.failure };
      if (registration.verifiedAt === null) {
        return registration.expiresAt <= clock.now() ? { status: "expired", name } : { status: "pending", name, expiresAt: registration.expiresAt };
      }
      if (registration.keyIssuedAt !== null || !(await registrations.claimRegistrationKey(registration.id, clock.now()))) return { status: "verified", name };
      const record = await directory.findNameByName(name);
      // Only the name this registration made, still without a key (not one deleted and made again since).
      if (record === undefined || record.keyPrefix !== `${NO_KEY_PREFIX}${registration.id}`) return { status: "verified", name };
      const { apiKey } = await replaceKey(directory, record, deps.bcryptCost);
      await recordAudit(directory, clock, { action: "key.rotated", name, actor: registration.email, ip, detail: "first key, handed to the registering agent" });
      deps.logger.info({ name: toFullName(name) }, "registered name: its key was handed to the registering agent");
      return { status: "verified", name, apiKey };
    },
  };
}

export function closedError(): ClawTellError {
  return new ClawTellError("CT_REGISTRATION_CLOSED", "Registration is closed on this server; its operator creates names (clawtell admin create-name)");
}
