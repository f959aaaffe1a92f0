import { once } from "node:events";
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createNotifier } from "../../../src/server/notifier.js";
import { connectionGone } from "../../../src/server/routes/connection-gone.js";

/** A real HTTP server on loopback that hands each request's response to the test instead of answering it. */
async function serveResponses(): Promise<{ next(): Promise<{ req: IncomingMessage; res: ServerResponse }>; url: string; close(): Promise<void> }> {
  const arrivals: Array<{ req: IncomingMessage; res: ServerResponse }> = [];
  const waiting: Array<(arrival: { req: IncomingMessage; res: ServerResponse }) => void> = [];
  const server = createServer((req, res) => {
    const arrival = { req, res };
    const taker = waiting.shift();
    if (taker === undefined) arrivals.push(arrival);
    else taker(arrival);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    next: () => {
      const ready = arrivals.shift();
      return ready === undefined ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve(ready);
    },
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/** Sends a GET and answers a function that cuts the connection; the answer's end (or its cut) is awaited by `done`. */
function get(url: string): { cut(): void; done: Promise<void> } {
  const req = request(url);
  const done = new Promise<void>((resolve) => {
    req.on("response", (res) => {
      res.resume();
      res.on("end", resolve);
      res.on("error", () => resolve());
    });
    req.on("error", () => resolve());
    req.on("close", () => resolve());
  });
  req.end();
  return { cut: () => req.destroy(), done };
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe("connectionGone", () => {
  it("cuts a parked wait short when the client disconnects, and leaves no listener behind", async () => {
    const server = await serveResponses();
    close = server.close;
    const client = get(server.url);
    const { res } = await server.next();
    const gone = connectionGone(res);
    const notifier = createNotifier();
    const wait = notifier.wait([1], 30_000, gone);
    expect(notifier.waiting()).toBe(1);
    const listenersWhileParked = res.listenerCount("close");
    client.cut();
    expect(await wait).toBe(false);
    expect(gone.aborted).toBe(true);
    expect(notifier.waiting()).toBe(0);
    gone.release();
    expect(res.listenerCount("close")).toBe(listenersWhileParked - 1);
  });

  it("counts a client that left before the wait began as gone at once", async () => {
    const server = await serveResponses();
    close = server.close;
    const client = get(server.url);
    const { res } = await server.next();
    client.cut();
    await once(res, "close");
    const gone = connectionGone(res);
    expect(gone.aborted).toBe(true);
    const notifier = createNotifier();
    expect(await notifier.wait([1], 30_000, gone)).toBe(false);
    expect(notifier.waiting()).toBe(0);
    gone.release();
  });

  it("does not fire for the close that follows a completed answer", async () => {
    const server = await serveResponses();
    close = server.close;
    const client = get(server.url);
    const { res } = await server.next();
    const gone = connectionGone(res);
    let fired = 0;
    gone.addEventListener("abort", () => fired++);
    res.end("answered");
    await client.done;
    res.destroy();
    if (!res.closed) await once(res, "close");
    expect(fired).toBe(0);
    expect(gone.aborted).toBe(false);
    gone.release();
  });
});
