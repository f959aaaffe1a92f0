/**
 * Registration by email (registration.ts): `POST /api/names/register` asks for a name (rate limited per address with
 * the sign-in links), `GET /api/register/verify` is the link mailed to the owner (a small page), and
 * `GET /api/register/status` is what the registering agent polls for its key. All public.
 */

import { z } from "zod";
import { toFullName } from "../../protocol/index.js";
import type { ServerContext } from "../context.js";
import type { ZodApp } from "../contexts/schemas.js";
import { plainPage, sendPage } from "../plain-pages.js";
import { closedError, POLL_INTERVAL_SECONDS, VERIFY_REGISTRATION_PATH, type VerifyOutcome } from "../registration.js";

const RegisterRequestSchema = z.object({
  name: z.string({ error: "is required" }).min(1, "is required").max(200, "is too long"),
  email: z.string({ error: "is required" }).min(1, "is required").max(320, "is too long"),
  terms_accepted: z.literal(true, { error: "must be true: the terms of service must be accepted" }),
  pp_accepted: z.literal(true, { error: "must be true: the privacy policy must be accepted" }),
  /** Required when the server registers by invitation. */
  invite: z.string().max(200, "is too long").optional(),
});

const RegisterResponseSchema = z.object({
  success: z.literal(true),
  status: z.literal("pending"),
  name: z.string(),
  full_name: z.string(),
  /** Poll `GET /api/register/status?token=<poll_token>` with it. */
  poll_token: z.string(),
  poll_interval_seconds: z.number().int(),
  /** Until when the mailed link verifies (ISO-8601). */
  expires_at: z.string(),
  message: z.string(),
});

const TokenQuerySchema = z.object({ token: z.string({ error: "is required" }).min(1, "is required").max(200, "is too long") });

const StatusResponseSchema = z.object({
  status: z.enum(["pending", "verified", "expired", "failed"]),
  name: z.string(),
  full_name: z.string(),
  /** The name's API key: on the first poll after verification only. */
  api_key: z.string().optional(),
  /** Pending: until when the link verifies. */
  expires_at: z.string().optional(),
  /** Failed: why no name was made. */
  error: z.string().optional(),
  message: z.string(),
});

const PageSchema = z.string().meta({ description: "A small HTML page for the browser that opened the link" });

/** The request for a name (rate limited per address with the sign-in links). */
export function registrationRequestRoutes(app: ZodApp, ctx: ServerContext): void {
  const { registrations } = ctx.signup;
  app.post(
    "/api/names/register",
    {
      schema: {
        summary: "Ask for a name for an email; the email's owner verifies it with one click, then the poll token receives the API key",
        body: RegisterRequestSchema,
        response: { 200: RegisterResponseSchema },
      },
      // A closed server answers 403 whatever the body.
      onRequest: async () => {
        if (registrations.mode === "closed") throw closedError();
      },
    },
    async (request) => {
      const { name, email, invite } = request.body;
      const requested = await registrations.request({ name, email, invite }, request.ip);
      return {
        success: true as const,
        status: "pending" as const,
        name: requested.name,
        full_name: toFullName(requested.name),
        poll_token: requested.pollToken,
        poll_interval_seconds: POLL_INTERVAL_SECONDS,
        expires_at: new Date(requested.expiresAt).toISOString(),
        message: `${requested.mailed ? `A verification link was sent to ${email.trim()}.` : `This server sends no mail: its operator hands the verification link for ${email.trim()} on.`} Poll GET /api/register/status?token=<poll_token> every ${POLL_INTERVAL_SECONDS} s: once the link is opened, the answer carries the API key, once.`,
      };
    },
  );
}

const STATUS_MESSAGES = {
  pending: "Waiting for the email's owner to open the verification link.",
  verified: "Verified.",
  expired: "The verification link expired before it was opened; register again.",
  failed: "Verified, but no name was made.",
} as const;

/** The mailed link and the agent's poll. */
export function registrationRoutes(app: ZodApp, ctx: ServerContext): void {
  const { registrations } = ctx.signup;

  app.get(
    "/api/register/status",
    { schema: { summary: "How a registration stands; the first answer after verification carries the API key", querystring: TokenQuerySchema, response: { 200: StatusResponseSchema } } },
    async (request, reply) => {
      const status = await registrations.status(request.query.token, request.ip);
      const base = { status: status.status, name: status.name, full_name: toFullName(status.name) };
      // The key must not linger in a cache between the server and the agent.
      void reply.header("cache-control", "no-store");
      switch (status.status) {
        case "pending":
          return { ...base, expires_at: new Date(status.expiresAt).toISOString(), message: STATUS_MESSAGES.pending };
        case "verified":
          return status.apiKey === undefined
            ? { ...base, message: "Verified. The API key was handed out already (it is shown once); a lost key is replaced from the dashboard or by the operator." }
            : { ...base, api_key: status.apiKey, message: "Verified. Save the API key now: it is not shown again." };
        case "failed":
          return { ...base, error: status.failure, message: `${STATUS_MESSAGES.failed} ${status.failure}.` };
        case "expired":
          return { ...base, message: STATUS_MESSAGES.expired };
      }
    },
  );

  app.get(
    VERIFY_REGISTRATION_PATH,
    { schema: { summary: "The verification link mailed to the owner: verifies the registration and answers a small page", querystring: TokenQuerySchema, response: { 200: { content: { "text/html": { schema: PageSchema } } } } } },
    async (request, reply) => {
      const outcome = await registrations.verify(request.query.token, request.ip);
      const [status, html] = verificationPage(outcome);
      return sendPage(reply, status, html);
    },
  );
}

function verificationPage(outcome: VerifyOutcome): [number, string] {
  switch (outcome.kind) {
    case "verified":
      return [
        200,
        plainPage(`${toFullName(outcome.name)} is yours`, [
          `The name ${toFullName(outcome.name)} now belongs to the account of ${outcome.email}.`,
          "The agent that registered it receives its API key on its next poll. You can close this page.",
        ]),
      ];
    case "already_verified":
      return [200, plainPage(`${toFullName(outcome.name)} is verified`, ["This link was used already: the name is registered. You can close this page."])];
    case "failed":
      return [409, plainPage(`${toFullName(outcome.name)} was not registered`, [`${outcome.failure}.`])];
    case "expired":
      return [410, plainPage("This link has expired", [`The registration of ${toFullName(outcome.name)} was not verified in time. Ask the agent to register again.`])];
    case "unknown":
      return [404, plainPage("Unknown link", ["No registration waits for this link. It may be mistyped, or it ended long ago."])];
  }
}
