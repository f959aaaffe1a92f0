import { expect } from "vitest";
import { api } from "./test-server.js";
import type { RunningServer } from "../../src/server/index.js";

// The master key test servers on PostgreSQL seal with (every process on one database must use the same key).
export const TEST_MASTER_KEY = "7e5f0c1d2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5";

/** What a server serves of sealed content: each message waiting for `bobKey` (its body and attachments' text, sorted), and `carolKey`'s held approvals. */
export async function readSealedContent(
  running: RunningServer,
  bobKey: string,
  carolKey: string,
): Promise<{ messages: string[]; approvals: Array<{ subject: string; body: string }> }> {
  const inbox = await api(running, "GET", "/api/messages/inbox?limit=100", { key: bobKey });
  expect(inbox.status).toBe(200);
  const read: string[] = [];
  for (const m of inbox.body["messages"] as Array<{ body: string; attachments: Array<{ fileId: string }> }>) {
    const files: string[] = [];
    for (const a of m.attachments) {
      const link = await api(running, "GET", `/api/files/${a.fileId}`, { key: bobKey });
      files.push(Buffer.from(await (await fetch(String(link.body["url"]))).arrayBuffer()).toString());
    }
    read.push([m.body, ...files].join(" | "));
  }
  const held = await api(running, "GET", "/api/approvals", { key: carolKey });
  expect(held.status).toBe(200);
  return { messages: read.sort(), approvals: held.body["approvals"] as Array<{ subject: string; body: string }> };
}
