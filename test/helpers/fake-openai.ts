// An OpenAI-compatible model server on 127.0.0.1 for the real OpenClaw gateway (the real LLM is outside this network).
// Speaks chat completions (streaming SSE chunks + [DONE], or one JSON answer) and a minimal Responses API; each request
// is answered by a script (a text, or a tool call such as clawtell_send) and recorded.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface FakeLlmRequest {
  readonly path: string;
  readonly body: Record<string, unknown>;
  /** The text of the last user message (all text parts joined). */
  readonly lastUserText: string;
  /** Every message text of the request, joined (system, user, tool results). */
  readonly allText: string;
  /** Names of the tools offered to the model. */
  readonly toolNames: string[];
}

export type FakeLlmAnswer = { readonly text: string } | { readonly toolCall: { readonly name: string; readonly arguments: Record<string, unknown> } };

/** Decides the answer to one request; the default echoes the last user text. */
export type FakeLlmScript = (request: FakeLlmRequest, index: number) => FakeLlmAnswer;

export interface FakeOpenAi {
  /** `http://127.0.0.1:<port>/v1`, the provider's baseUrl. */
  readonly baseUrl: string;
  readonly requests: FakeLlmRequest[];
  setScript(script: FakeLlmScript): void;
  /** Holds every answer back this long (a model that thinks), so a test can act while a turn is under way. */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

export const FAKE_MODEL_ID = "fake-model";
export const echoScript: FakeLlmScript = (request) => ({ text: `FAKE-LLM-REPLY to: ${request.lastUserText.slice(-200)}` });

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => (typeof part === "object" && part !== null && "text" in part && typeof part.text === "string" ? part.text : ""))
      .filter((t) => t !== "")
      .join("\n");
  }
  return "";
}

function describe(path: string, body: Record<string, unknown>): FakeLlmRequest {
  const messages = Array.isArray(body["messages"]) ? (body["messages"] as Array<Record<string, unknown>>) : Array.isArray(body["input"]) ? (body["input"] as Array<Record<string, unknown>>) : [];
  const users = messages.filter((m) => m["role"] === "user");
  const tools = Array.isArray(body["tools"]) ? (body["tools"] as Array<Record<string, unknown>>) : [];
  const toolNames = tools.map((t) => {
    const fn = t["function"] as Record<string, unknown> | undefined;
    return String(fn?.["name"] ?? t["name"] ?? "");
  });
  return {
    path,
    body,
    lastUserText: textOf(users.at(-1)?.["content"]),
    allText: messages.map((m) => textOf(m["content"])).join("\n"),
    toolNames,
  };
}

const sse = (res: ServerResponse, data: unknown): boolean => res.write(`data: ${JSON.stringify(data)}\n\n`);

function answerChat(res: ServerResponse, stream: boolean, answer: FakeLlmAnswer, index: number): void {
  const id = `chatcmpl-fake-${index}`;
  const created = Math.floor(Date.now() / 1000);
  const toolCall = "toolCall" in answer ? { index: 0, id: `call_fake_${index}`, type: "function", function: { name: answer.toolCall.name, arguments: JSON.stringify(answer.toolCall.arguments) } } : undefined;
  const finish = toolCall === undefined ? "stop" : "tool_calls";
  const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
  if (!stream) {
    res.writeHead(200, { "content-type": "application/json" });
    const message = toolCall === undefined ? { role: "assistant", content: "text" in answer ? answer.text : "" } : { role: "assistant", content: null, tool_calls: [toolCall] };
    res.end(JSON.stringify({ id, object: "chat.completion", created, model: FAKE_MODEL_ID, choices: [{ index: 0, message, finish_reason: finish }], usage }));
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  const chunk = (delta: Record<string, unknown>, finishReason: string | null): Record<string, unknown> => ({
    id,
    object: "chat.completion.chunk",
    created,
    model: FAKE_MODEL_ID,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  sse(res, chunk({ role: "assistant" }, null));
  if (toolCall === undefined) sse(res, chunk({ content: "text" in answer ? answer.text : "" }, null));
  else sse(res, chunk({ tool_calls: [toolCall] }, null));
  sse(res, { ...chunk({}, finish), usage });
  res.end("data: [DONE]\n\n");
}

function answerResponses(res: ServerResponse, answer: FakeLlmAnswer, index: number): void {
  // Non-streaming Responses API answer (enough for providers configured with api "openai-responses").
  const output =
    "toolCall" in answer
      ? [{ type: "function_call", id: `fc_${index}`, call_id: `call_fake_${index}`, name: answer.toolCall.name, arguments: JSON.stringify(answer.toolCall.arguments), status: "completed" }]
      : [{ type: "message", id: `msg_${index}`, role: "assistant", status: "completed", content: [{ type: "output_text", text: answer.text, annotations: [] }] }];
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ id: `resp_${index}`, object: "response", status: "completed", model: FAKE_MODEL_ID, output, usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 } }));
}

export async function startFakeOpenAi(script: FakeLlmScript = echoScript): Promise<FakeOpenAi> {
  let current = script;
  let latencyMs = 0;
  const requests: FakeLlmRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      const path = (req.url ?? "").split("?")[0] ?? "";
      if (req.method === "GET" && path.endsWith("/models")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ object: "list", data: [{ id: FAKE_MODEL_ID, object: "model", owned_by: "fake" }] }));
        return;
      }
      let body: Record<string, unknown> = {};
      try {
        body = raw === "" ? {} : (JSON.parse(raw) as Record<string, unknown>);
      } catch {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "invalid JSON", type: "invalid_request_error" } }));
        return;
      }
      const request = describe(path, body);
      const index = requests.length;
      requests.push(request);
      const answer = current(request, index);
      const respond = (): void => {
        if (res.destroyed) return;
        if (path.endsWith("/chat/completions")) answerChat(res, body["stream"] === true, answer, index);
        else if (path.endsWith("/responses")) answerResponses(res, answer, index);
        else {
          res.writeHead(404, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { message: `no route ${path}`, type: "not_found" } }));
        }
      };
      if (latencyMs > 0) setTimeout(respond, latencyMs);
      else respond();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    setScript: (next) => {
      current = next;
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
