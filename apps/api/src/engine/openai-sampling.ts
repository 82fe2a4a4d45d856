import { errorMessage } from "@conduit/protocol";
import type { Agent } from "@conduit/protocol/body";
import {
  ErrorCode,
  McpError,
  type CreateMessageRequestParams,
  type CreateMessageResult,
  type SamplingMessage,
} from "@modelcontextprotocol/sdk/types.js";
import type { OpenAiSettings, UsageTotals } from "./context.js";
import { isObject, readErrorBody, type Json } from "./openai-upstream.js";

type OpenAiAgent = Extract<Agent, { upstream: "openai" }>;

type ContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string } }
  | { type: "input_audio"; input_audio: { data: string; format: string } };

type ChatMessage = { role: "system" | "user" | "assistant"; content: string | ContentPart[] };

type SamplingBlock = Extract<SamplingMessage["content"], { type: string }>;

function blockText(block: SamplingBlock): string {
  return block.type === "text" ? block.text : JSON.stringify(block);
}

/** One block as a Chat Completions content part: text, an image as a data URL, audio as input_audio, the rest as JSON text. */
function contentPart(block: SamplingBlock): ContentPart {
  switch (block.type) {
    case "image":
      return { type: "image_url", image_url: { url: `data:${block.mimeType};base64,${block.data}` } };
    case "audio":
      return { type: "input_audio", input_audio: { data: block.data, format: block.mimeType.split("/")[1] ?? "wav" } };
    default:
      return { type: "text", text: blockText(block) };
  }
}

/** The sampling request's messages as Chat Completions messages (assistant turns as text, which is all the API takes there). */
export function samplingChatMessages(params: CreateMessageRequestParams): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (params.systemPrompt) messages.push({ role: "system", content: params.systemPrompt });
  for (const message of params.messages) {
    const blocks: SamplingBlock[] = Array.isArray(message.content) ? message.content : [message.content];
    const allText = blocks.every((block) => block.type === "text");
    if (message.role === "assistant" || allText) {
      messages.push({ role: message.role, content: blocks.map(blockText).join("\n") });
    } else {
      messages.push({ role: message.role, content: blocks.map(contentPart) });
    }
  }
  return messages;
}

/** Chat Completions' finish_reason as MCP's stopReason. */
function stopReason(finish: unknown): string {
  if (finish === "length") return "maxTokens";
  if (finish === "stop" || typeof finish !== "string") return "endTurn";
  return finish;
}

function samplingFailed(message: string): McpError {
  return new McpError(ErrorCode.InternalError, `sampling failed: ${message}`);
}

/**
 * Answers an upstream's `sampling/createMessage` with the `openai` agent's own
 * model: one non-streaming Chat Completions request built from the request's
 * `systemPrompt`, `messages`, `maxTokens`, `temperature` (else the agent's) and
 * `stopSequences`. Model preferences are not followed: the agent has one model.
 * The tokens count in the agent's usage. A failure becomes a JSON-RPC error to
 * the upstream; it does not end the agent.
 */
export async function sampleWithModel(
  openai: OpenAiSettings,
  agent: OpenAiAgent,
  usage: UsageTotals,
  params: CreateMessageRequestParams,
  signal: AbortSignal,
): Promise<CreateMessageResult> {
  const request: Json = {
    model: agent.model,
    messages: samplingChatMessages(params),
    max_tokens: params.maxTokens,
    stream: false,
  };
  const temperature = params.temperature ?? agent.temperature;
  if (temperature !== undefined) request.temperature = temperature;
  if (params.stopSequences && params.stopSequences.length > 0) request.stop = params.stopSequences;
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (openai.apiKey) headers.authorization = `Bearer ${openai.apiKey}`;

  let response: Response;
  try {
    response = await openai.fetch(`${openai.baseUrl}/chat/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify(request),
      signal,
    });
  } catch (err) {
    throw samplingFailed(errorMessage(err));
  }
  if (!response.ok) throw samplingFailed(`HTTP ${response.status}: ${await readErrorBody(response)}`);
  let payload: unknown;
  try {
    payload = await response.json();
  } catch (err) {
    throw samplingFailed(`the model's answer is not JSON: ${errorMessage(err)}`);
  }
  if (!isObject(payload)) throw samplingFailed("the model's answer is not a JSON object");
  if (isObject(payload.error)) throw samplingFailed(JSON.stringify(payload.error).slice(0, 2000));
  if (isObject(payload.usage)) usage.add(payload.usage);
  const choice = Array.isArray(payload.choices) ? payload.choices[0] : undefined;
  const message = isObject(choice) && isObject(choice.message) ? choice.message : undefined;
  if (!message) throw samplingFailed("the model's answer has no choices[0].message");
  return {
    role: "assistant",
    content: { type: "text", text: typeof message.content === "string" ? message.content : "" },
    model: typeof payload.model === "string" && payload.model.length > 0 ? payload.model : agent.model,
    stopReason: stopReason(isObject(choice) ? choice.finish_reason : undefined),
  };
}
