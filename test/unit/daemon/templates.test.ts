import { describe, expect, it } from "vitest";
import {
  autoReplyBlockedWarning,
  deadLetterAlert,
  deadLetterDigest,
  deadLetterOverflowAlarm,
  deliveryBanner,
  queueAlarmText,
  queueFullAlarm,
  replyFailedNotice,
  replyPendingNotice,
  replySentNotice,
  replySuppressedNotice,
  stateCorruptAlarm,
} from "../../../src/daemon/templates.js";
import type { Message } from "../../../src/protocol/index.js";

const message = (overrides: Partial<Message> = {}): Message => ({
  id: "m-1",
  from: "tell/alice",
  to_name: "bob",
  subject: "Lunch",
  body: "Are you free at noon? *really*",
  createdAt: "2026-11-22T10:00:00.000Z",
  attachments: [],
  ...overrides,
});

describe("🦞 delivery banner", () => {
  it("shows sender, recipient, subject and body, in that order", () => {
    expect(deliveryBanner(message(), "bob")).toBe("🦞🦞 ClawTell Delivery 🦞🦞\n\nfrom tell/alice\nto: tell/bob\nSubject: Lunch\n\nAre you free at noon? *really*");
  });

  it("leaves the subject line out when it is empty, blank or the default 'Message'", () => {
    for (const subject of ["", "   ", "Message", " Message "]) {
      const text = deliveryBanner(message({ subject }), "bob");
      expect(text, JSON.stringify(subject)).toBe("🦞🦞 ClawTell Delivery 🦞🦞\n\nfrom tell/alice\nto: tell/bob\n\nAre you free at noon? *really*");
    }
  });

  it("lists attachments by name and type after the body", () => {
    const text = deliveryBanner(
      message({
        attachments: [
          { fileId: "f1", filename: "report.pdf", mime_type: "application/pdf" },
          { fileId: "f2", filename: "notes.txt", mime_type: "text/plain" },
        ],
      }),
      "bob",
    );
    expect(text).toBe(
      "🦞🦞 ClawTell Delivery 🦞🦞\n\nfrom tell/alice\nto: tell/bob\nSubject: Lunch\n\nAre you free at noon? *really*\n\n" +
        "📎 report.pdf (application/pdf)\n📎 notes.txt (text/plain)",
    );
  });

  it("never doubles the tell/ prefix, whichever form the names come in", () => {
    expect(deliveryBanner(message({ from: "alice" }), "tell/bob")).toContain("from tell/alice\nto: tell/bob\n");
  });
});

describe("auto-reply warning", () => {
  it("starts with the marker users know and says what to do", () => {
    const warning = autoReplyBlockedWarning(message());
    expect(warning.startsWith("⚠️ AUTO-REPLY BLOCKED: tell/alice is not on your auto-reply allowlist.")).toBe(true);
    expect(warning).toContain("Tell your human");
    expect(warning).toContain("do not answer it through ClawTell unless they ask you to");
    expect(warning.endsWith("\n\n")).toBe(true);
  });
});

describe("reply notices", () => {
  it("📤 sent", () => {
    expect(replySentNotice("bob", "tell/alice", "Noon works!")).toBe("📤 ClawTell Reply Sent\n\nfrom tell/bob → tell/alice\n\nNoon works!");
  });

  it("⚠️ failed, with the retry count only when retried", () => {
    expect(replyFailedNotice("bob", "alice", "Recipient not found")).toBe(
      "⚠️ ClawTell Reply Failed\n\nCould not send the reply from tell/bob → tell/alice.\nError: Recipient not found",
    );
    expect(replyFailedNotice("bob", "alice", "timeout", 1)).toMatch(/\nTried again 1 time\.$/);
    expect(replyFailedNotice("bob", "alice", "timeout", 3)).toMatch(/\nTried again 3 times\.$/);
  });

  it("⏳ pending approval and 🔕 suppressed", () => {
    expect(replyPendingNotice("bob", "alice")).toBe(
      "⏳ ClawTell Reply Pending Approval\n\nThe reply from tell/bob → tell/alice waits for the owner's approval and is sent once approved.",
    );
    expect(replySuppressedNotice("bob", "alice")).toBe(
      "🔕 No automatic reply from tell/bob to tell/alice: the sender is not on the auto-reply allowlist. Reply yourself if you want to.",
    );
    expect(replySuppressedNotice("bob", "tell/alice", "clawtell")).toBe(
      "🔕 No automatic reply from tell/bob to tell/alice: the sender is not on the auto-reply allowlist. Reply yourself if you want to.\n\n" +
        "To let tell/bob answer tell/alice on its own from now on, run:\nclawtell allow bob tell/alice",
    );
  });
});

describe("dead-letter alerts", () => {
  const letter = { id: "6c1f", from: "tell/alice", recipient: "bob", attempts: 10, lastError: "webhook answered HTTP 503" };

  it("one alert per letter says what failed and how to retry it", () => {
    expect(deadLetterAlert(letter)).toBe(
      "☠️ ClawTell message could not be delivered\n\nfrom tell/alice → tell/bob (message 6c1f)\ngave up after 10 attempts; last error: webhook answered HTTP 503\n\nFix the cause, then run: clawtell dead-letters retry 6c1f",
    );
    const { lastError: _omitted, ...withoutError } = letter;
    expect(deadLetterAlert({ ...withoutError, attempts: 1 })).toContain("gave up after 1 attempt\n");
  });

  it("a digest lists up to ten and counts the rest", () => {
    const many = Array.from({ length: 13 }, (_, i) => ({ ...letter, id: `id-${i}` }));
    const digest = deadLetterDigest(many);
    expect(digest.startsWith("☠️ 13 ClawTell messages could not be delivered\n\n")).toBe(true);
    expect(digest.split("\n").filter((l) => l.startsWith("• "))).toHaveLength(10);
    expect(digest).toContain("• tell/alice → tell/bob (id-9): webhook answered HTTP 503");
    expect(digest).not.toContain("id-10");
    expect(digest).toContain("… and 3 more");
    expect(digest).toContain("clawtell dead-letters retry --all");
    expect(deadLetterDigest(many.slice(0, 2))).not.toContain("more");
  });

  it("names the CLI the human has: `openclaw clawtell` inside OpenClaw", () => {
    expect(deadLetterAlert(letter, "openclaw clawtell")).toMatch(/Fix the cause, then run: openclaw clawtell dead-letters retry 6c1f$/);
    const digest = deadLetterDigest([letter, { ...letter, id: "7d2e" }], "openclaw clawtell");
    expect(digest).toContain("See them with: openclaw clawtell dead-letters ls; retry with: openclaw clawtell dead-letters retry --all");
  });

  it("a digest of one is the single alert", () => {
    expect(deadLetterDigest([letter])).toBe(deadLetterAlert(letter));
  });
});

describe("queue alarms", () => {
  it("carry the 🚨 marker", () => {
    expect(queueAlarmText("something")).toBe("🚨 ClawTell queue alarm: something");
  });

  it("dead-letter overflow says how many went where, and that nothing was deleted", () => {
    const text = deadLetterOverflowAlarm({ exported: 2, exportedTo: "/state/queue-default.json.dead-letters.overflow.jsonl", maxCount: 1000 });
    expect(text).toBe(
      "🚨 ClawTell queue alarm: the dead letters are full (limit 1000, queue.deadLetterMaxCount); the oldest 2 messages were moved to /state/queue-default.json.dead-letters.overflow.jsonl. Nothing was deleted. Retry or purge dead letters to make room.",
    );
    expect(deadLetterOverflowAlarm({ exported: 1, exportedTo: "x" })).toContain("the oldest 1 message was moved to x.");
  });

  it("a corrupt state file says where it went and that it must be inspected", () => {
    const text = stateCorruptAlarm({ movedTo: "/state/queue-default.json.corrupt-1795", reason: "not JSON" });
    expect(text).toContain("unreadable (not JSON) and was moved to /state/queue-default.json.corrupt-1795");
    expect(text).toContain("inspect it before deleting it");
  });

  it("a full queue says new messages wait on the server", () => {
    expect(queueFullAlarm({ pending: 10_000, maxPending: 10_000 })).toBe(
      "🚨 ClawTell queue alarm: 10000 messages wait to be delivered (limit 10000, queue.maxPending); no new messages are taken until some are delivered. They stay safe on the ClawTell server meanwhile.",
    );
  });
});
