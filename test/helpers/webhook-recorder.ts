// A loopback HTTP endpoint that records webhook deliveries and answers with a programmable status.
import { createServer } from "node:http";

export interface RecordedDelivery {
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  body: Record<string, unknown>;
  /** When the request arrived (epoch ms). */
  at: number;
}

export interface WebhookRecorder {
  url: string;
  deliveries: RecordedDelivery[];
  /** Status for the next answers, in order; when empty, 200. */
  answers: number[];
  close(): Promise<void>;
}

export async function startWebhookRecorder(): Promise<WebhookRecorder> {
  const recorder: Omit<WebhookRecorder, "url" | "close"> = { deliveries: [], answers: [] };
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      recorder.deliveries.push({ headers: req.headers, raw, body: JSON.parse(raw) as Record<string, unknown>, at: Date.now() });
      const status = recorder.answers.shift() ?? 200;
      res.writeHead(status, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return Object.assign(recorder, {
    url: `http://127.0.0.1:${port}/hook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
