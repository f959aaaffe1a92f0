/**
 * Dashboard sign-in (sessions.ts):
 * - `POST /api/auth/magic-link` (public, rate limited per address with registrations): always 200; a known email gets
 *   a single-use sign-in link.
 * - `GET /api/auth/verify?token=` (public): the mailed link. It uses nothing up: it answers a page with one button
 *   that posts the token back, so a mail scanner that fetches links does not spend the link.
 * - `POST /api/auth/verify` (public; a form post or JSON `{ token }`): uses the link up, sets the session cookie, and
 *   redirects a form post to the dashboard (303) or answers JSON.
 * - `GET /api/auth/session`, `POST /api/auth/logout` (authenticated context, sessions only).
 */

import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { ClawTellError } from "../../infra/index.js";
import { SessionResponseSchema, toFullName } from "../../protocol/index.js";
import type { ServerContext } from "../context.js";
import { sessionOf } from "../contexts/caller.js";
import type { ZodApp } from "../contexts/schemas.js";
import { plainPage, sendPage } from "../plain-pages.js";
import { clearedSessionCookie, sessionCookie } from "../session-cookie.js";
import { DASHBOARD_PATH, SIGN_IN_PATH } from "../sessions.js";

const MagicLinkRequestSchema = z.object({ email: z.string({ error: "is required" }).min(1, "is required").max(320, "is too long") });
const MagicLinkResponseSchema = z.object({ success: z.literal(true), message: z.string() });
const TokenSchema = z.object({ token: z.string({ error: "is required" }).min(1, "is required").max(200, "is too long") });
const SignedInSchema = z.object({
  success: z.literal(true),
  account_id: z.string(),
  email: z.string(),
  /** Send it as `X-CSRF-Token` on every state-changing request of the session. */
  csrf_token: z.string(),
  expires_at: z.string(),
  redirect: z.string(),
});
const PageSchema = z.string().meta({ description: "A small HTML page for the browser that opened the link" });

/** Asking for a sign-in link (rate limited per address with registrations). */
export function magicLinkRoutes(app: ZodApp, ctx: ServerContext): void {
  app.post(
    "/api/auth/magic-link",
    {
      schema: {
        summary: "Mail a dashboard sign-in link to the email, if it has an account; the answer is the same either way",
        body: MagicLinkRequestSchema,
        response: { 200: MagicLinkResponseSchema },
      },
    },
    async (request) => {
      ctx.signup.sessions.sendLoginLink(request.body.email, request.ip);
      return { success: true as const, message: "If an account has this email, a sign-in link is on its way to it." };
    },
  );
}

/** Whether a browser's post comes from another site (its `Origin` is neither this request's nor the public URL's). */
function fromAnotherSite(request: FastifyRequest, publicOrigin: string): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  return origin !== `${request.protocol}://${request.host}` && origin !== publicOrigin;
}

/** The mailed sign-in link and its confirmation. The caller gives them a scope that parses form posts. */
export function signInRoutes(app: ZodApp, ctx: ServerContext): void {
  const { sessions } = ctx.signup;

  app.get(
    SIGN_IN_PATH,
    { schema: { summary: "The mailed sign-in link: a page that confirms the sign-in (nothing is used up by opening it)", querystring: TokenSchema, response: { 200: { content: { "text/html": { schema: PageSchema } } } } } },
    async (request, reply) => {
      const link = await sessions.peekLoginLink(request.query.token);
      if (link === undefined) {
        return sendPage(reply, 410, plainPage("This sign-in link has expired", ["It was used already, or it is older than 15 minutes. Ask for a new one."]));
      }
      return sendPage(
        reply,
        200,
        plainPage("Sign in to ClawTell", [`Sign in to the dashboard as ${link.email}.`], {
          action: SIGN_IN_PATH,
          fields: { token: request.query.token },
          button: "Sign in",
        }),
      );
    },
  );

  app.post(
    SIGN_IN_PATH,
    {
      bodyLimit: 4_096,
      schema: {
        summary: "Use a sign-in link up and start a dashboard session (cookie); a form post is redirected to the dashboard",
        body: TokenSchema,
        response: { 200: SignedInSchema },
      },
    },
    async (request, reply) => {
      const form = request.headers["content-type"]?.startsWith("application/x-www-form-urlencoded") === true;
      // A page of another site must not sign a browser in to an account of its choosing.
      if (fromAnotherSite(request, ctx.signup.origin())) throw new ClawTellError("CT_FORBIDDEN", "origin: sign-in must be confirmed from this server's own page", { field: "origin" });
      // A browser's form post is told of a spent link with a page; a JSON caller with the error answer.
      const started = await sessions.signIn(request.body.token, request.ip).catch((err: unknown) => {
        if (form && err instanceof ClawTellError && err.code === "CT_AUTH_FAILED") return undefined;
        throw err;
      });
      if (started === undefined) {
        return sendPage(reply, 401, plainPage("This sign-in link has expired", ["It was used already, or it is older than 15 minutes. Ask for a new one."]));
      }
      void reply.header("set-cookie", sessionCookie(request, started.token, started.expiresAt, ctx.clock.now())).header("cache-control", "no-store");
      if (form) return reply.redirect(DASHBOARD_PATH, 303);
      return {
        success: true as const,
        account_id: started.accountId,
        email: started.email,
        csrf_token: started.csrfToken,
        expires_at: new Date(started.expiresAt).toISOString(),
        redirect: DASHBOARD_PATH,
      };
    },
  );
}

/** The session's own calls (authenticated context; a key is refused with 403). */
export function sessionRoutes(app: ZodApp, ctx: ServerContext): void {
  const { directory } = ctx;

  app.get(
    "/api/auth/session",
    { schema: { summary: "The dashboard session: its account, the account's names and the session's CSRF token", response: { 200: SessionResponseSchema } } },
    async (request, reply) => {
      const caller = sessionOf(request);
      const [account, names] = await Promise.all([directory.findAccountById(caller.accountId), directory.listNamesOfAccount(caller.accountId)]);
      if (account === undefined) throw new ClawTellError("CT_AUTH_FAILED", "Dashboard session unknown or ended; sign in again");
      void reply.header("cache-control", "no-store");
      return {
        account: { id: account.id, email: account.email, created_at: new Date(account.createdAt).toISOString() },
        names: names.map((n) => ({ name: n.name, full_name: toFullName(n.name), created_at: new Date(n.createdAt).toISOString() })),
        csrf_token: caller.session.csrfToken,
        expires_at: new Date(caller.session.expiresAt).toISOString(),
      };
    },
  );

  app.post(
    "/api/auth/logout",
    { schema: { summary: "End the dashboard session (needs X-CSRF-Token)", response: { 200: z.object({ success: z.literal(true) }) } } },
    async (request, reply) => {
      const caller = sessionOf(request);
      await ctx.signup.sessions.signOut(caller.session, request.ip);
      void reply.header("set-cookie", clearedSessionCookie(request));
      return { success: true as const };
    },
  );
}
