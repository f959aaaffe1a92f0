/**
 * The registration port: sign-ups waiting for their email to be verified, and the invite codes of a server that
 * registers by invitation. Tokens are kept only as SHA-256 hashes, except the verification link of a pending
 * registration, kept until it is used or expires so that the operator can hand it on (`clawtell admin pending`).
 */

/** A sign-up: a name asked for by an agent, for the account of an email. */
export interface RegistrationRecord {
  readonly id: string;
  /** The bare name asked for. */
  readonly name: string;
  /** Lower-cased; the account the name joins (made at verification if the email has none). */
  readonly email: string;
  /** SHA-256 (hex) of the poll token the registering agent holds. */
  readonly pollHash: string;
  /** SHA-256 (hex) of the token in the verification link. */
  readonly verifyHash: string;
  /** The verification link while the registration is pending; null once it is verified or failed. */
  readonly verifyUrl: string | null;
  /** The address the request came from. */
  readonly ip: string | null;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Until when the link verifies (epoch ms). */
  readonly expiresAt: number;
  readonly verifiedAt: number | null;
  /** When a poll was handed the API key; null until then (it is handed out once). */
  readonly keyIssuedAt: number | null;
  /** Why verification made no name (taken meanwhile, the account is full); null otherwise. */
  readonly failure: string | null;
}

export interface InviteRecord {
  /** SHA-256 (hex) of the code. */
  readonly codeHash: string;
  readonly uses: number;
  readonly createdAt: number;
}

export interface RegistrationStore {
  insertRegistration(registration: RegistrationRecord): Promise<void>;
  findRegistrationByPollHash(pollHash: string): Promise<RegistrationRecord | undefined>;
  findRegistrationByVerifyHash(verifyHash: string): Promise<RegistrationRecord | undefined>;
  /**
   * Marks the registration verified, unless it is verified or failed already or has expired by `at`; answers whether
   * this call did it (of two clicks racing, in one process or two, one wins). Forgets the verification link.
   */
  markRegistrationVerified(id: string, at: number): Promise<boolean>;
  /** Records why verification made no name; forgets the verification link. */
  failRegistration(id: string, failure: string): Promise<void>;
  /** Claims the one hand-over of the API key of a verified registration: true for exactly one caller. */
  claimRegistrationKey(id: string, at: number): Promise<boolean>;
  /** Registrations neither verified, failed nor expired at `now`, oldest first. */
  listPendingRegistrations(now: number): Promise<RegistrationRecord[]>;
  /** Deletes the registrations that expired before `before`; answers how many. */
  purgeRegistrations(before: number): Promise<number>;

  insertInvite(invite: InviteRecord): Promise<void>;
  /** Takes one use of the invite; false when no such code exists or its uses are spent. */
  useInvite(codeHash: string): Promise<boolean>;
}
