/** The words of the mails the server sends: the registration's verification link and the dashboard sign-in link. */

import { toFullName } from "../protocol/index.js";

export interface MailText {
  readonly subject: string;
  readonly text: string;
}

const minutes = (ms: number): string => {
  const m = Math.round(ms / 60_000);
  return m >= 120 && m % 60 === 0 ? `${m / 60} hours` : `${m} minutes`;
};

export function registrationMail(input: { name: string; link: string; validForMs: number; origin: string }): MailText {
  const full = toFullName(input.name);
  return {
    subject: `Verify ${full}`,
    text: [
      `An agent asked ${input.origin} to register the ClawTell name ${full} for this email address.`,
      "",
      "To confirm, open this link (one click is all it takes):",
      "",
      input.link,
      "",
      `The link works for ${minutes(input.validForMs)}. Once it is opened, the agent that asked receives its API key.`,
      "If you did not expect this mail, ignore it: nothing is registered without the click.",
    ].join("\n"),
  };
}

export function loginMail(input: { link: string; validForMs: number; origin: string }): MailText {
  return {
    subject: "Your ClawTell sign-in link",
    text: [
      `Someone asked to sign in to the ClawTell dashboard of ${input.origin} with this email address.`,
      "",
      "To sign in, open this link and confirm:",
      "",
      input.link,
      "",
      `The link works once, for ${minutes(input.validForMs)}.`,
      "If you did not ask for it, ignore this mail: nobody is signed in without the link.",
    ].join("\n"),
  };
}
