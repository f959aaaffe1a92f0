// The book of answers OpenClaw delivers on its own: which message an outbound text answers.
import { describe, expect, it } from "vitest";
import type { Clock } from "../../../src/infra/index.js";
import { createHostAnswerBook, type HostAnswerSender } from "../../../src/plugin/index.js";

const manualClock = (): Clock & { advance(ms: number): void } => {
  let now = 1_000_000;
  return { now: () => now, sleep: async () => undefined, advance: (ms) => void (now += ms) };
};
const senderFor = (id: string): HostAnswerSender => async () => ({ messageId: `reply-to-${id}`, status: "sent" });

describe("host answer book", () => {
  it("finds nothing for an ordinary send: no owed answer, no known message", () => {
    const book = createHostAnswerBook({ clock: manualClock() });
    book.remember("m1", senderFor("m1"));
    expect(book.find("default", "bob")).toBeUndefined();
    expect(book.find("default", "bob", "unknown-id")).toBeUndefined();
  });

  it("sends a text naming a handed-over message as its reply, whoever the conversation owes", async () => {
    const book = createHostAnswerBook({ clock: manualClock() });
    book.remember("m1", senderFor("m1"));
    book.remember("m2", senderFor("m2"));
    book.owe("default", "bob", "m2");
    expect(await book.find("default", "bob", "m1")?.("x")).toEqual({ messageId: "reply-to-m1", status: "sent" });
    expect(await book.find("default", "BOB")?.("x")).toEqual({ messageId: "reply-to-m2", status: "sent" });
  });

  it("keeps owed answers apart per account and sender, and forgets them when settled or expired", async () => {
    const clock = manualClock();
    const book = createHostAnswerBook({ clock, owedForMs: 60_000 });
    book.remember("m1", senderFor("m1"));
    book.remember("m2", senderFor("m2"));
    book.owe("default", "bob", "m1");
    book.owe("work", "bob", "m2");
    expect(await book.find("work", "bob")?.("x")).toMatchObject({ messageId: "reply-to-m2" });
    expect(book.find("default", "carol")).toBeUndefined();
    book.settle("work", "bob");
    expect(book.find("work", "bob")).toBeUndefined();
    clock.advance(60_001);
    expect(book.find("default", "bob")).toBeUndefined();
  });

  it("holds at most `capacity` messages, dropping the oldest", () => {
    const book = createHostAnswerBook({ clock: manualClock(), capacity: 2 });
    for (const id of ["m1", "m2", "m3"]) book.remember(id, senderFor(id));
    expect(book.find("default", "bob", "m1")).toBeUndefined();
    expect(book.find("default", "bob", "m2")).toBeDefined();
    expect(book.find("default", "bob", "m3")).toBeDefined();
  });
});
