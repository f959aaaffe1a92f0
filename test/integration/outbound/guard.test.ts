// The outgoing-request guard against real sockets on loopback: refused targets by name and by address, pinning to the
// checked address, and the bounds on what a remote end can do (redirects, size, time).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Dispatcher } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManualClock, systemClock, type ClawTellError } from "../../../src/infra/index.js";
import { createGuardedDispatcher, sendOutbound, type OutboundRequest, type Resolver } from "../../../src/server/outbound/index.js";

interface Target {
  url: string;
  port: number;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

async function startTarget(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<Target> {
  const requests: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req);
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const ok = (_req: IncomingMessage, res: ServerResponse): void => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end("fine");
};

const request = (url: string, extra: Partial<OutboundRequest> = {}): OutboundRequest => ({
  url,
  method: "POST",
  body: "{}",
  headers: { "content-type": "application/json" },
  timeoutMs: 10_000,
  maxResponseBytes: 1024,
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<ClawTellError> {
  try {
    await promise;
  } catch (err) {
    return err as ClawTellError;
  }
  throw new Error("expected the request to fail");
}

describe("outgoing-request guard", () => {
  let target: Target;
  const dispatchers: Dispatcher[] = [];
  const guarded = (options: Parameters<typeof createGuardedDispatcher>[0] = {}): Dispatcher => {
    const dispatcher = createGuardedDispatcher(options);
    dispatchers.push(dispatcher);
    return dispatcher;
  };

  beforeEach(async () => {
    target = await startTarget(ok);
  });
  afterEach(async () => {
    await Promise.all(dispatchers.splice(0).map((d) => d.close()));
    await target.close();
  });

  it("refuses a host name that resolves to loopback (localhost), and sends nothing", async () => {
    const err = await failure(sendOutbound({ dispatcher: guarded(), clock: systemClock }, request(`http://localhost:${target.port}/hook`)));
    expect(err.code).toBe("CT_FORBIDDEN");
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/^localhost \((127\.0\.0\.1|::1)\) is a loopback address/);
    expect(target.requests).toHaveLength(0);
  });

  it.each(["127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "0.0.0.0", "169.254.169.254", "10.0.0.1", "[fd00:ec2::254]"])(
    "refuses the IP literal %s without connecting",
    async (host) => {
      const err = await failure(sendOutbound({ dispatcher: guarded(), clock: systemClock }, request(`http://${host}:${target.port}/hook`)));
      expect(err.code).toBe("CT_FORBIDDEN");
      expect(err.message).toContain("the server does not call private addresses");
      expect(target.requests).toHaveLength(0);
    },
  );

  it("refuses a name when any of its addresses is private, however public the others are", async () => {
    const resolve: Resolver = async () => [
      { address: "93.184.216.34", family: 4 },
      { address: "127.0.0.1", family: 4 },
    ];
    const err = await failure(sendOutbound({ dispatcher: guarded({ resolve }), clock: systemClock }, request(`http://rebind.test:${target.port}/hook`)));
    expect(err.code).toBe("CT_FORBIDDEN");
    expect(err.message).toContain("rebind.test (127.0.0.1) is a loopback address");
    expect(target.requests).toHaveLength(0);
  });

  it("connects to exactly the address its lookup checked, once per connection", async () => {
    const asked: string[] = [];
    const resolve: Resolver = async (hostname) => {
      asked.push(hostname);
      return [{ address: "127.0.0.1", family: 4 }];
    };
    const answer = await sendOutbound(
      { dispatcher: guarded({ resolve, allowPrivate: true }), clock: systemClock },
      request(`http://pinned.test:${target.port}/hook`),
    );
    expect(answer.statusCode).toBe(200);
    expect(answer.body.toString()).toBe("fine");
    // The name went to our lookup, the connection to the address it answered, and the Host header kept the name.
    expect(asked).toEqual(["pinned.test"]);
    expect(target.requests[0]?.headers.host).toBe(`pinned.test:${target.port}`);
  });

  it("calls private addresses when allowed", async () => {
    const answer = await sendOutbound({ dispatcher: guarded({ allowPrivate: true }), clock: systemClock }, request(target.url));
    expect(answer.statusCode).toBe(200);
    expect(target.requests).toHaveLength(1);
  });

  it("does not follow a redirect: the 3xx comes back with its location", async () => {
    const other = await startTarget(ok);
    const redirecting = await startTarget((_req, res) => {
      res.writeHead(302, { location: other.url });
      res.end();
    });
    try {
      const answer = await sendOutbound({ dispatcher: guarded({ allowPrivate: true }), clock: systemClock }, request(redirecting.url));
      expect(answer.statusCode).toBe(302);
      expect(answer.headers.location).toBe(other.url);
      expect(other.requests).toHaveLength(0);
    } finally {
      await Promise.all([other.close(), redirecting.close()]);
    }
  });

  it.each([
    ["announced with Content-Length", true],
    ["streamed without a length", false],
  ])("cuts off an answer larger than the cap (%s)", async (_what, announced) => {
    const big = await startTarget((_req, res) => {
      res.writeHead(200, announced ? { "content-length": String(64 * 1024) } : {});
      for (let i = 0; i < 64; i++) res.write(Buffer.alloc(1024, 120));
      res.end();
    });
    try {
      const err = await failure(sendOutbound({ dispatcher: guarded({ allowPrivate: true }), clock: systemClock }, request(big.url, { maxResponseBytes: 4096 })));
      expect(err.code).toBe("CT_PAYLOAD_TOO_LARGE");
      expect(err.message).toContain("answer larger than 4096 bytes");
    } finally {
      await big.close();
    }
  });

  it("gives up on a receiver that does not answer once the clock passes the timeout", async () => {
    const clock = createManualClock(1_000_000);
    let arrived!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    const silent = await startTarget(() => arrived());
    try {
      let settled = false;
      const pending = failure(sendOutbound({ dispatcher: guarded({ allowPrivate: true }), clock }, request(silent.url, { timeoutMs: 5_000 }))).finally(
        () => (settled = true),
      );
      await reached;
      await clock.advance(4_999);
      await new Promise((resolve) => setImmediate(resolve));
      expect(settled).toBe(false);
      await clock.advance(1);
      const err = await pending;
      expect(err.code).toBe("CT_TIMEOUT");
      expect(err.message).toContain("no answer within 5000 ms");
    } finally {
      await silent.close();
    }
  });

  it("calls only http and https URLs", async () => {
    const err = await failure(sendOutbound({ dispatcher: guarded({ allowPrivate: true }), clock: systemClock }, request("file:///etc/passwd")));
    expect(err.code).toBe("CT_BAD_REQUEST");
  });
});
