// HTTP spoken byte by byte over a plain socket, for requests no HTTP client would send and for watching how a
// connection ends (cleanly, or reset).
import { connect, type Socket } from "node:net";

export interface RawExchange {
  /** Everything the server sent. */
  readonly text: string;
  /** The first socket error (EPIPE, ECONNRESET…), or undefined when the connection ended cleanly. */
  readonly error: NodeJS.ErrnoException | undefined;
}

/** Opens a connection to the server of `url`. */
export function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/** A step of an exchange: bytes to write, or `{ waitFor }`: wait until the server has sent that many responses. */
export type Step = string | Buffer | { readonly waitFor: number };

/**
 * Writes each piece in turn, waiting for each write to be taken, then reads until the server closes. Write and read
 * errors are recorded, not thrown.
 */
export async function exchange(url: string, pieces: Iterable<Step>): Promise<RawExchange> {
  const socket = await openSocket(url);
  const chunks: Buffer[] = [];
  let error: NodeJS.ErrnoException | undefined;
  let wake = (): void => {};
  const closed = new Promise<void>((resolve) =>
    socket.once("close", () => {
      resolve();
      wake();
    }),
  );
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    wake();
  };
  const onError = (err: NodeJS.ErrnoException): void => {
    error ??= err;
  };
  socket.on("data", onData);
  socket.on("error", onError);
  try {
    for (const piece of pieces) {
      if (error !== undefined || socket.destroyed) break;
      if (typeof piece === "object" && !Buffer.isBuffer(piece)) {
        while (parseResponses(Buffer.concat(chunks).toString("utf8")).length < piece.waitFor && !socket.destroyed) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
        continue;
      }
      await new Promise<void>((resolve) => socket.write(piece, (err) => {
        if (err) error ??= err;
        resolve();
      }));
    }
    if (!socket.destroyed) socket.end();
    await closed;
  } finally {
    socket.off("data", onData);
    socket.off("error", onError);
    socket.destroy();
  }
  return { text: Buffer.concat(chunks).toString("utf8"), error };
}

/** The status, lower-cased headers and body of each response in `text`, in order (bodies by Content-Length). */
export function parseResponses(text: string): Array<{ status: number; headers: Record<string, string>; body: string }> {
  const responses: Array<{ status: number; headers: Record<string, string>; body: string }> = [];
  let rest = text;
  while (rest.startsWith("HTTP/1.1 ")) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) break;
    const [statusLine = "", ...lines] = rest.slice(0, end).split("\r\n");
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers["content-length"] ?? 0);
    const bodyBytes = Buffer.from(rest.slice(end + 4), "utf8");
    responses.push({ status: Number(statusLine.split(" ")[1]), headers, body: bodyBytes.subarray(0, length).toString("utf8") });
    rest = bodyBytes.subarray(length).toString("utf8");
  }
  return responses;
}
