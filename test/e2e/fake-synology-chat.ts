// A fake Synology Chat on 127.0.0.1 for OpenClaw's Synology Chat channel: the incoming-webhook URL the channel posts
// to (`channels.synology-chat.incomingUrl`, `/webapi/entry.cgi?api=SYNO.Chat.External&method=chatbot&…`, a form
// field `payload` holding JSON `{ text, user_ids }`) recorded; and the outgoing webhook a human's message arrives by,
// posted to the gateway's route as Synology Chat posts it (form fields token, user_id, username, post_id, text).
import { createServer } from "node:http";

export interface SynologyPost {
  /** The Chat user ids the message is addressed to (`user_ids`), as strings. */
  readonly userIds: string[];
  readonly text: string;
}

export interface FakeSynologyChat {
  /** The chatbot incoming-webhook URL, with its token. */
  readonly incomingUrl: string;
  /** Messages the bot posted. */
  readonly posts: SynologyPost[];
  /** Posts a human's message to the gateway's Synology Chat route; resolves with the HTTP status. */
  sendUserText(webhookUrl: string, options: { token: string; userId: number; username: string; text: string }): Promise<number>;
  close(): Promise<void>;
}

export async function startFakeSynologyChat(botToken: string): Promise<FakeSynologyChat> {
  const posts: SynologyPost[] = [];
  // Post ids grow from the clock: OpenClaw keeps what it has claimed across runs of the same state.
  let postId = Date.now();
  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const url = new URL(req.url ?? "/", "http://fake.invalid");
      const answer = (status: number, body: unknown): void => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (url.pathname !== "/webapi/entry.cgi" || url.searchParams.get("token") !== `"${botToken}"`) return answer(404, { success: false, error: { code: 404 } });
      if (url.searchParams.get("method") === "user_list") return answer(200, { success: true, data: { users: [] } });
      const payload = new URLSearchParams(Buffer.concat(chunks).toString("utf8")).get("payload");
      const parsed = JSON.parse(payload ?? "{}") as { text?: unknown; user_ids?: unknown };
      const userIds = Array.isArray(parsed.user_ids) ? parsed.user_ids.map(String) : [];
      posts.push({ userIds, text: typeof parsed.text === "string" ? parsed.text : "" });
      answer(200, { success: true });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    incomingUrl: `http://127.0.0.1:${port}/webapi/entry.cgi?api=SYNO.Chat.External&method=chatbot&version=2&token=%22${encodeURIComponent(botToken)}%22`,
    posts,
    async sendUserText(webhookUrl, { token, userId, username, text }) {
      postId++;
      const form = new URLSearchParams({ token, user_id: String(userId), username, post_id: String(postId), timestamp: String(Date.now()), text });
      const response = await fetch(webhookUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() });
      await response.arrayBuffer();
      return response.status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
