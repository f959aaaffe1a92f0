/**
 * A JSON request to a server under test with an API key, answering the parsed body (throwing on any status but 200).
 * Apart from harness.ts so that a bench's child process (scale-out-receivers.ts) takes it without the server's modules.
 */
import type { Pool } from "undici";

export async function requestJson(pool: Pool, method: "GET" | "POST", path: string, key: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await pool.request({
    method,
    path,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const parsed = (await response.body.json()) as Record<string, unknown>;
  if (response.statusCode !== 200) throw new Error(`${method} ${path} → ${response.statusCode}: ${JSON.stringify(parsed)}`);
  return parsed;
}
