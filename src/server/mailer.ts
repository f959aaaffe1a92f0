/**
 * Outgoing mail: verification and sign-in links. A transport delivers (SMTP through nodemailer, or one a test or an
 * embedding program injects); without one, the server logs each link at info level so that the operator can hand it
 * on (`clawtell admin pending` lists registration links too). Mail sent in the background is awaited on close.
 */

import nodemailer from "nodemailer";
import { ClawTellError, type Logger } from "../infra/index.js";

export interface MailMessage {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** What delivers mail. */
export interface MailTransport {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/** What the server sends: a message with the one link it carries (what is logged when nothing delivers mail). */
export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly link: string;
  /** What the link does, for the log: `registration` or `login`. */
  readonly purpose: string;
}

export interface Mailer {
  /** Whether mail is delivered (false: links are logged). */
  readonly delivers: boolean;
  /** Sends one mail; rejects with CT_UNAVAILABLE when the mail server refuses it or cannot be reached. */
  send(mail: OutgoingMail): Promise<void>;
  /**
   * Prepares and sends a mail without the caller waiting, so that an answer neither waits on nor reveals whether a
   * mail went out; `prepare` answers undefined for none. Failures are logged.
   */
  sendInBackground(prepare: () => Promise<OutgoingMail | undefined>): void;
  /** Waits for mail sent in the background, then lets go of the transport. */
  close(): Promise<void>;
}

/** The sender when none is configured. */
export const DEFAULT_MAIL_FROM = "ClawTell <noreply@localhost>";

/** SMTP timeouts: a mail server that does not answer fails the request in seconds, not minutes. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** A transport to the SMTP server of `smtp://[user:pass@]host:port` (or `smtps://` for TLS from the start). */
export function createSmtpTransport(url: string): MailTransport {
  if (!/^smtps?:\/\//i.test(url)) throw new ClawTellError("CT_CONFIG_INVALID", "smtp url: expected smtp://host:port or smtps://host:port", { field: "smtp-url" });
  const transporter = nodemailer.createTransport({ url, ...SMTP_TIMEOUTS });
  return {
    async send(message) {
      await transporter.sendMail({ from: message.from, to: message.to, subject: message.subject, text: message.text });
    },
    close: () => transporter.close(),
  };
}

export function createMailer(opts: { transport?: MailTransport | undefined; from?: string | undefined; logger: Logger }): Mailer {
  const { transport, logger } = opts;
  const from = opts.from ?? DEFAULT_MAIL_FROM;
  const inFlight = new Set<Promise<void>>();
  const send = async (mail: OutgoingMail): Promise<void> => {
    if (transport === undefined) {
      logger.info({ to: mail.to, purpose: mail.purpose, link: mail.link }, `no mail server configured: the ${mail.purpose} link for ${mail.to} is in this line`);
      return;
    }
    try {
      await transport.send({ from, to: mail.to, subject: mail.subject, text: mail.text });
    } catch (err) {
      throw new ClawTellError("CT_UNAVAILABLE", "the mail server did not take the message; try again later", { cause: err });
    }
  };
  return {
    delivers: transport !== undefined,
    send,
    sendInBackground(prepare) {
      const sending = prepare()
        .then((mail) => (mail === undefined ? undefined : send(mail)))
        .catch((err: unknown) => logger.error({ err }, "could not send mail"))
        .finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    },
    async close() {
      await Promise.all(inFlight);
      transport?.close();
    },
  };
}
