/**
 * Names nobody may register: words of the service itself and its operators, and addresses people would take for
 * official ones. Checked with the name rules (names.ts) everywhere a name is made or checked for availability.
 */

export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  "abuse",
  "admin",
  "administrator",
  "api",
  "auth",
  "clawtell",
  "clawtell-system",
  "dashboard",
  "default",
  "help",
  "login",
  "mail",
  "moderator",
  "no-reply",
  "noreply",
  "null",
  "official",
  "postmaster",
  "register",
  "root",
  "security",
  "staff",
  "support",
  "system",
  "undefined",
  "www",
  // `GET /api/names/check` is the availability route: a name `check` could never be looked up.
  "check",
]);
