// A real SMTP server on 127.0.0.1 for tests (smtp-server), standing in for the operator's mail server: it takes every
// message (no TLS, no auth), parses it (mailparser) and keeps it; tests take messages as they arrive. Give a server
// `smtpUrl: peer.url`.
import { EventEmitter } from "node:events";
import type { AddressInfo } from "node:net";
import { simpleParser, type AddressObject } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  /** Envelope recipients (RCPT TO), lower-cased. */
  readonly to: readonly string[];
  /** Envelope sender (MAIL FROM). */
  readonly envelopeFrom: string;
  /** The `From:` header as written. */
  readonly from: string;
  readonly subject: string;
  readonly text: string;
  /** Every http(s) link in the text, in order. */
  readonly links: readonly string[];
}

export interface MailMatch {
  /** A recipient of the envelope (any case). */
  readonly to?: string;
  readonly subject?: string | RegExp;
}

export interface SmtpPeer {
  /** `smtp://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Every message received, in arrival order. */
  readonly received: readonly ReceivedMail[];
  /**
   * The first message not taken before that matches, waiting for it when none has arrived yet; rejects after
   * `timeoutMs` (default 10 s) with what did arrive.
   */
  takeMail(match?: MailMatch, timeoutMs?: number): Promise<ReceivedMail>;
  /** The first link of a mail whose path is `path` (e.g. `/api/auth/verify`); throws when it has none. */
  linkIn(mail: ReceivedMail, path: string): URL;
  /** Refuses the next `count` messages with a permanent error (550), as a mail server that rejects them. */
  refuseNext(count: number): void;
  close(): Promise<void>;
}

const addressText = (value: AddressObject | AddressObject[] | undefined): string =>
  value === undefined ? "" : [value].flat().map((a) => a.text).join(", ");

const matches = (mail: ReceivedMail, match: MailMatch): boolean =>
  (match.to === undefined || mail.to.includes(match.to.toLowerCase())) &&
  (match.subject === undefined || (typeof match.subject === "string" ? mail.subject === match.subject : match.subject.test(mail.subject)));

export async function startSmtpPeer(): Promise<SmtpPeer> {
  const received: ReceivedMail[] = [];
  const taken = new Set<ReceivedMail>();
  const arrivals = new EventEmitter();
  let refusals = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      if (refusals > 0) {
        refusals--;
        stream.resume();
        stream.once("end", () => callback(Object.assign(new Error("mailbox unavailable"), { responseCode: 550 })));
        return;
      }
      simpleParser(stream).then(
        (parsed) => {
          const text = parsed.text ?? "";
          const mail: ReceivedMail = {
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            envelopeFrom: session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address,
            from: addressText(parsed.from),
            subject: parsed.subject ?? "",
            text,
            links: text.match(/https?:\/\/[^\s<>"]+/g) ?? [],
          };
          received.push(mail);
          arrivals.emit("mail");
          callback();
        },
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.server.off("error", reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;

  const firstUntaken = (match: MailMatch): ReceivedMail | undefined => received.find((m) => !taken.has(m) && matches(m, match));

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    takeMail(match = {}, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const settle = (mail: ReceivedMail): void => {
          taken.add(mail);
          resolve(mail);
        };
        const now = firstUntaken(match);
        if (now !== undefined) {
          settle(now);
          return;
        }
        const onMail = (): void => {
          const mail = firstUntaken(match);
          if (mail === undefined) return;
          clearTimeout(timer);
          arrivals.off("mail", onMail);
          settle(mail);
        };
        const timer = setTimeout(() => {
          arrivals.off("mail", onMail);
          const seen = received.map((m) => `${m.to.join(",")}: ${m.subject}`).join("; ") || "none";
          reject(new Error(`no mail matching ${JSON.stringify({ to: match.to, subject: String(match.subject) })} within ${timeoutMs} ms (received: ${seen})`));
        }, timeoutMs);
        arrivals.on("mail", onMail);
      });
    },
    linkIn(mail, path) {
      const link = mail.links.map((l) => new URL(l)).find((u) => u.pathname === path);
      if (link === undefined) throw new Error(`no link to ${path} in the mail "${mail.subject}": ${mail.text}`);
      return link;
    },
    refuseNext(count) {
      refusals = count;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
