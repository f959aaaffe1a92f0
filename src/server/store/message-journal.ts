/**
 * The message journal (`messages.journal` in the data folder). Every group of sends and acks is written as ONE line
 * and fdatasync'd before any of its callers is answered; that is what makes a 200 durable. Now and then the SQLite
 * archive takes the journal's content over and the journal starts again from its first byte (embedded-messages.ts).
 *
 * The file is overwritten in place rather than truncated and appended to: a sync that does not change the file's size
 * only has to flush data, which made bench (a) about a fifth faster. Old lines therefore stay behind the current ones,
 * so every line names its generation (one more at each restart of the journal; the first one random) and carries a
 * CRC-32:
 *
 *     <generation hex> <crc32 hex of the JSON> <JSON>\n
 *
 * With encryption at rest the JSON of a line is sealed whole (one AES-GCM operation per group, bound to the line's
 * generation: content-sealing.ts) and the line holds the sealed text in its place; the generation and checksum stay
 * plain. Such a line's messages hold their subject and body as sent (`plain: true`, also on plain lines written with
 * `--no-encryption`), to be sealed for the archive when it takes them over; lines written before that hold each row's
 * stored form (sealed per row) and are handed over as they are.
 *
 * A reader takes the lines of the first line's generation whose checksum holds, in order. A line cut short by a crash
 * (its group was never answered), a damaged line and whatever an older generation left behind are all skipped.
 * A line is written synchronously (a copy into the page cache, in group order) and synced through the thread pool
 * (`sync`): an fdatasync takes 0.1 to 8 ms on a shared disk, and the event loop keeps serving requests meanwhile.
 * A sync covers every line written before it started. Where an fdatasync is quicker than the trip through the thread
 * pool (a disk with a fast cache, memory), it runs in place: {@link SLOW_SYNCS_TO_OFFLOAD} syncs in a row that took
 * longer than {@link INLINE_SYNC_MAX_NS} in place (one alone may be the process losing its core for a moment) send the
 * next {@link OFFLOADED_SYNCS} to the thread pool, and then syncs are tried in place again. Either way the promise
 * resolves only once the data is on disk.
 */

import { randomInt } from "node:crypto";
import { closeSync, fdatasync, fdatasyncSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { crc32 } from "node:zlib";
import { z } from "zod";
import { ClawTellError, STATE_FILE_MODE, fsyncDirSync, isErrnoException } from "../../infra/index.js";
import { PLAIN_CONTENT, type ContentSealing } from "./content-sealing.js";
import type { MessageRecord } from "./records.js";

export const JOURNAL_FILE = "messages.journal";
/** Zeros written when the journal is opened, so that syncs in steady state never grow the file. */
export const JOURNAL_PREALLOCATE_BYTES = 4 * 1024 * 1024;

const AttachmentSchema = z.object({
  fileId: z.string(),
  filename: z.string(),
  mimeType: z.string(),
  size: z.number(),
});

/** The Idempotency-Key a message was sent with, bound in the same line (a crash keeps both or neither). */
const IdempotencySchema = z.object({
  accountId: z.string(),
  key: z.string(),
  fingerprint: z.string(),
  messageId: z.string().nullable(),
  statusCode: z.number().int(),
  response: z.string(),
  createdAt: z.number(),
});

/** A new message as journaled: the stored fields, with its sequence number. */
const JournaledMessageSchema = z.object({
  seq: z.number().int().positive(),
  id: z.string(),
  recipientId: z.number().int(),
  recipient: z.string(),
  sender: z.string(),
  subject: z.string(),
  body: z.string(),
  threadId: z.string(),
  replyTo: z.string().nullable(),
  autoReplyEligible: z.boolean(),
  createdAt: z.number(),
  attachments: z.array(AttachmentSchema),
  idempotency: IdempotencySchema.optional(),
});

const JournalLineSchema = z.object({
  plain: z.literal(true).optional(),
  messages: z.array(JournaledMessageSchema).optional(),
  acks: z.array(z.tuple([z.string(), z.number()])).optional(),
});

/** One group: the messages it stored and the acks it made. */
export interface JournalLine {
  /**
   * True: the messages' subject and body are as sent (the archive stores them sealed); absent: as stored (a line
   * written before content was sealed at the hand-over).
   */
  readonly plain?: true | undefined;
  /** New messages; their read and ack state is not journaled (a message is new here). */
  readonly messages?: ReadonlyArray<Omit<MessageRecord, "readAt" | "ackedAt">> | undefined;
  readonly acks?: ReadonlyArray<readonly [id: string, ackedAt: number]> | undefined;
}

export interface MessageJournal {
  /**
   * Writes the line after the previous ones, not yet durable; throws `CT_STATE_WRITE_FAILED` when it could not (the
   * line then does not count, and the next one takes its place).
   */
  write(line: JournalLine): void;
  /** Resolves once every line written before the call is on disk; rejects with `CT_STATE_WRITE_FAILED`. */
  sync(): Promise<void>;
  /** Starts a new generation at the first byte: the lines written so far are in the archive now (none is syncing). */
  reset(): void;
  close(): void;
}

/** A line as read: with the key it was sealed under, if it was. */
export interface ReadLine extends JournalLine {
  readonly sealedUnder?: string | undefined;
}

export interface JournalContent {
  readonly lines: ReadLine[];
  /** Lines of the current generation that could not be read: damaged, or cut short by a crash. */
  readonly damaged: number;
}

const NEWLINE = Buffer.from("\n");

/** One line as bytes. The JSON is encoded once; its checksum of those bytes is the checksum of its text in UTF-8. */
const encode = (generation: number, json: string): Buffer => {
  const body = Buffer.from(json);
  return Buffer.concat([Buffer.from(`${generation.toString(16)} ${crc32(body).toString(16)} `), body, NEWLINE]);
};

/** Parses one line of the journal: its generation and JSON, or undefined when it is not a whole, intact line. */
function decode(raw: string): { generation: number; json: string } | undefined {
  const first = raw.indexOf(" ");
  const second = raw.indexOf(" ", first + 1);
  if (first <= 0 || second <= first) return undefined;
  const json = raw.slice(second + 1);
  if (crc32(json).toString(16) !== raw.slice(first + 1, second)) return undefined;
  const generation = Number.parseInt(raw.slice(0, first), 16);
  return Number.isNaN(generation) ? undefined : { generation, json };
}

/** What a sealed line's text is bound to: its generation, so that a line moved into another one does not open. */
const lineContext = (generation: number): string => `messages.journal ${generation.toString(16)}`;

/** A line's text: JSON, or (anything else) a sealed line. */
const isJson = (text: string): boolean => text.startsWith("{");

/**
 * Reads the current generation's lines. A sealed line is opened with `sealing` (CT_STATE_CORRUPT when it does not
 * open: the journal was altered, and its senders were answered; CT_CONFIG_INVALID without the key).
 */
export function readMessageJournal(path: string, sealing: ContentSealing = PLAIN_CONTENT): JournalContent {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (isErrnoException(err) && err.code === "ENOENT") return { lines: [], damaged: 0 };
    throw err;
  }
  const raw = text.split("\n");
  // The last piece has no newline: a line cut short, or the preallocated zeros.
  raw.pop();
  const generation = raw.length === 0 ? undefined : decode(raw[0] ?? "")?.generation;
  if (generation === undefined) return { lines: [], damaged: 0 };
  const lines: ReadLine[] = [];
  let damaged = 0;
  const prefix = `${generation.toString(16)} `;
  for (const piece of raw) {
    if (!piece.startsWith(prefix)) continue; // another generation's leftovers
    const decoded = decode(piece);
    if (decoded === undefined) {
      damaged++;
      continue;
    }
    // Its checksum holds: a sealed line that does not open was altered on purpose, not cut short (the error says so).
    const sealed = !isJson(decoded.json);
    const parsed = JournalLineSchema.safeParse(safeJson(sealed ? sealing.openLine(decoded.json, lineContext(generation)) : decoded.json));
    if (!parsed.success) damaged++;
    else if (parsed.data.messages === undefined && parsed.data.acks === undefined) continue; // the header
    else lines.push(sealed ? { ...parsed.data, sealedUnder: sealing.lineKeyId(decoded.json) } : parsed.data);
  }
  return { lines, damaged };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** An fdatasync in place that took at most this long keeps the next one in place (a thread-pool trip costs about as much). */
export const INLINE_SYNC_MAX_NS = 100_000;
/** Syncs in place in a row slower than {@link INLINE_SYNC_MAX_NS} that send the next ones to the thread pool. */
export const SLOW_SYNCS_TO_OFFLOAD = 3;
/** After that, this many syncs go through the thread pool before syncs are tried in place again. */
export const OFFLOADED_SYNCS = 1_000;

export interface MessageJournalOptions {
  /** @defaultValue {@link INLINE_SYNC_MAX_NS} (0: nearly every sync goes through the thread pool) */
  readonly inlineSyncMaxNs?: number;
  /** Lines are sealed whole when it seals new content. @defaultValue {@link PLAIN_CONTENT} */
  readonly sealing?: ContentSealing;
}

/** Opens the journal EMPTY, as a new generation: read it and hand its content to the archive first. */
export function openMessageJournal(path: string, options: MessageJournalOptions = {}): MessageJournal {
  const inlineSyncMaxNs = BigInt(options.inlineSyncMaxNs ?? INLINE_SYNC_MAX_NS);
  const sealing = options.sealing ?? PLAIN_CONTENT;
  /** Syncs still to go through the thread pool before one is tried in place. */
  let offloaded = 0;
  /** Slow syncs in place in a row. */
  let slowInPlace = 0;
  const fd = openSync(path, "w", STATE_FILE_MODE);
  let generation = randomInt(1, 2 ** 32);
  let offset = 0;

  const writeAt = (data: Buffer, at: number): void => {
    for (let written = 0; written < data.length; ) written += writeSync(fd, data, written, data.length - written, at + written);
  };
  const reset = (): void => {
    generation = (generation % 0xffff_ffff) + 1;
    const header = encode(generation, "{}");
    writeAt(header, 0);
    fdatasyncSync(fd);
    offset = header.length;
  };

  try {
    writeAt(Buffer.alloc(JOURNAL_PREALLOCATE_BYTES), 0);
    reset();
    fsyncDirSync(dirname(path));
  } catch (err) {
    closeSync(fd);
    throw err;
  }

  const failed = (err: unknown): ClawTellError =>
    new ClawTellError("CT_STATE_WRITE_FAILED", "the message journal could not be written", { cause: err });

  return {
    write(line) {
      const json = JSON.stringify(line);
      const data = encode(generation, sealing.sealsNew ? sealing.sealLine(json, lineContext(generation)) : json);
      try {
        writeAt(data, offset);
      } catch (err) {
        // Whatever reached the file is overwritten by the next line, or fails its checksum.
        throw failed(err);
      }
      offset += data.length;
    },
    sync() {
      if (offloaded > 0) {
        offloaded--;
        return new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err === null ? resolve() : reject(failed(err)))));
      }
      const started = process.hrtime.bigint();
      try {
        fdatasyncSync(fd);
      } catch (err) {
        return Promise.reject(failed(err));
      }
      if (process.hrtime.bigint() - started <= inlineSyncMaxNs) slowInPlace = 0;
      else if (++slowInPlace >= SLOW_SYNCS_TO_OFFLOAD) {
        slowInPlace = 0;
        offloaded = OFFLOADED_SYNCS;
      }
      return Promise.resolve();
    },
    reset,
    close() {
      closeSync(fd);
    },
  };
}
