// Reads a ClawTell SSE stream with a real SSE parser, collecting events and comments.
import { request, type Agent, type ClientRequest } from "node:http";
import { createParser, type EventSourceMessage } from "eventsource-parser";

export interface StreamRead {
  status: number;
  contentType: string | null;
  events: EventSourceMessage[];
  comments: string[];
  raw: string;
  /** Whether the server ended the stream (rather than us stopping early). */
  ended: boolean;
}

export async function readStream(
  server: { url: string },
  key: string,
  options: { query?: string; lastEventId?: string | undefined; stopWhen?: (events: EventSourceMessage[]) => boolean; maxMs?: number } = {},
): Promise<StreamRead> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.maxMs ?? 10_000);
  const response = await fetch(`${server.url}/v1/stream${options.query === undefined ? "" : `?${options.query}`}`, {
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      ...(options.lastEventId === undefined ? {} : { "last-event-id": options.lastEventId }),
    },
    signal: controller.signal,
  });
  const result: StreamRead = {
    status: response.status,
    contentType: response.headers.get("content-type"),
    events: [],
    comments: [],
    raw: "",
    ended: false,
  };
  const parser = createParser({
    onEvent: (event) => result.events.push(event),
    onComment: (comment) => result.comments.push(comment),
  });
  if (response.body === null) return result;
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body) {
      const text = decoder.decode(chunk, { stream: true });
      result.raw += text;
      parser.feed(text);
      if (options.stopWhen?.(result.events) === true) {
        controller.abort();
        break;
      }
    }
    result.ended = true;
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
  }
  return result;
}

export const messagesOf = (events: EventSourceMessage[]): Array<Record<string, unknown>> =>
  events.filter((e) => e.event === "message").map((e) => JSON.parse(e.data) as Record<string, unknown>);

/**
 * An account stream on a connection of its own, read until `count` messages came (their ids, in order). `drop()` closes
 * the connection as a crash would. With a keep-alive `agent` and `limit`, the stream ends and the connection stays open
 * and idle (a receiver whose host vanished: the server cannot tell it is gone).
 */
export async function streamOnOwnConnection(
  server: { url: string },
  key: string,
  options: { count: number; limit?: number; agent?: Agent },
): Promise<{ ids: string[]; drop: () => void }> {
  let req: ClientRequest | undefined;
  const query = `account=true&timeout=60${options.limit === undefined ? "" : `&limit=${options.limit}`}`;
  const ids = await new Promise<string[]>((resolve, reject) => {
    req = request(`${server.url}/v1/stream?${query}`, { agent: options.agent ?? false, headers: { authorization: `Bearer ${key}` } }, (res) => {
      let raw = "";
      res.on("data", (chunk: Buffer) => {
        raw += chunk.toString();
        const found = [...raw.matchAll(/^id: (.+)$/gm)].map((m) => m[1] ?? "");
        if (found.length >= options.count) resolve(found);
      });
      res.on("error", () => undefined);
    });
    req.on("error", reject);
    req.end();
  });
  return { ids, drop: () => req?.destroy() };
}
