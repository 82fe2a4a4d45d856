import { errorMessage, type McpKind } from "@conduit/protocol";
import type { Agent } from "@conduit/protocol/body";
import {
  deliverNotifications,
  runToolCall,
  toolOutcomeText,
  type AgentContext,
  type ConversationMessage,
  type FunctionCall,
} from "./context.js";
import { AgentError } from "./errors.js";
import { SseParser } from "./sse-parser.js";
import { buildToolNames, type ToolTarget } from "./tool-names.js";
import type { UpstreamResult } from "./upstream.js";

type OpenAiAgent = Extract<Agent, { upstream: "openai" }>;

interface FunctionTool {
  type: "function";
  function: { name: string; description?: string; parameters: unknown };
}

interface CompletionTurn {
  content: string;
  toolCalls: FunctionCall[];
}

const ERROR_BODY_LIMIT = 2000;

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Accumulates streamed `delta.tool_calls` fragments by their index. */
class ToolCallAccumulator {
  readonly #calls = new Map<number, FunctionCall>();

  add(fragments: unknown): void {
    if (!Array.isArray(fragments)) return;
    for (const fragment of fragments) {
      if (!isObject(fragment)) continue;
      const index = typeof fragment.index === "number" ? fragment.index : this.#calls.size;
      let call = this.#calls.get(index);
      if (!call) {
        call = { id: "", type: "function", function: { name: "", arguments: "" } };
        this.#calls.set(index, call);
      }
      if (typeof fragment.id === "string" && fragment.id.length > 0) call.id = fragment.id;
      const fn = isObject(fragment.function) ? fragment.function : {};
      if (typeof fn.name === "string") call.function.name += fn.name;
      if (typeof fn.arguments === "string") call.function.arguments += fn.arguments;
    }
  }

  list(): FunctionCall[] {
    return [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => (call.id ? call : { ...call, id: `call_${index}` }));
  }
}

async function offeredTools(ctx: AgentContext): Promise<{ tools: FunctionTool[]; names: Map<string, ToolTarget> }> {
  const described = new Map<string, { description: string | undefined; parameters: unknown }>();
  const targets: ToolTarget[] = [];
  for (const mcp of ctx.mcp.declared) {
    for (const tool of await ctx.mcp.listTools(mcp, ctx.signal)) {
      targets.push({ mcp, tool: tool.name });
      described.set(`${mcp}\n${tool.name}`, { description: tool.description, parameters: tool.inputSchema });
    }
  }
  const names = buildToolNames(targets);
  const tools: FunctionTool[] = [];
  for (const [name, target] of names) {
    const info = described.get(`${target.mcp}\n${target.tool}`);
    tools.push({
      type: "function",
      function: {
        name,
        ...(info?.description ? { description: info.description } : {}),
        parameters: info?.parameters ?? { type: "object" },
      },
    });
  }
  return { tools, names };
}

/** At most ERROR_BODY_LIMIT characters of an error body: a long (or endless) body is neither buffered nor waited for. */
export async function readErrorBody(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (text.length <= ERROR_BODY_LIMIT) {
      const read = await reader.read();
      if (read.done) {
        text += decoder.decode();
        break;
      }
      text += decoder.decode(read.value, { stream: true });
    }
  } catch {
    // What was read so far is all the message gets.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text.length > ERROR_BODY_LIMIT ? `${text.slice(0, ERROR_BODY_LIMIT)}…` : text;
}

function streamError(payload: Json): AgentError | undefined {
  if (!isObject(payload.error)) return undefined;
  const code = payload.error.code;
  const message = typeof payload.error.message === "string" ? payload.error.message : JSON.stringify(payload.error);
  return new AgentError(
    typeof code === "number" || typeof code === "string" ? code : "upstream_error",
    `upstream error: ${message}`,
  );
}

/** One streamed Chat Completions request: deltas are emitted as they come, tool calls accumulated. */
async function streamCompletion(ctx: AgentContext, agent: OpenAiAgent, tools: FunctionTool[]): Promise<CompletionTurn> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "text/event-stream" };
  if (ctx.openai.apiKey) headers.authorization = `Bearer ${ctx.openai.apiKey}`;
  const request: Json = {
    model: agent.model,
    messages: ctx.conversation,
    stream: true,
    stream_options: { include_usage: true },
  };
  if (tools.length > 0) request.tools = tools;
  if (agent.temperature !== undefined) request.temperature = agent.temperature;

  let response: Response;
  try {
    response = await ctx.openai.fetch(`${ctx.openai.baseUrl}/chat/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify(request),
      signal: ctx.signal,
    });
  } catch (err) {
    ctx.signal.throwIfAborted();
    throw new AgentError("upstream_unreachable", `upstream request failed: ${errorMessage(err)}`);
  }
  if (!response.ok) {
    throw new AgentError(
      response.status,
      `upstream returned HTTP ${response.status}: ${await readErrorBody(response)}`,
    );
  }

  const turn: CompletionTurn = { content: "", toolCalls: [] };
  const calls = new ToolCallAccumulator();
  const handle = async (payload: unknown): Promise<void> => {
    if (!isObject(payload)) return;
    const failure = streamError(payload);
    if (failure) throw failure;
    if (isObject(payload.usage)) ctx.usage.add(payload.usage);
    const choice = Array.isArray(payload.choices) ? payload.choices[0] : undefined;
    if (!isObject(choice)) return;
    // `delta` when streaming; `message` when the endpoint answered with one JSON completion.
    const part = isObject(choice.delta) ? choice.delta : isObject(choice.message) ? choice.message : undefined;
    if (!part) return;
    if (typeof part.content === "string" && part.content.length > 0) {
      turn.content += part.content;
      await ctx.emit(ctx.chunks.delta(part.content));
    }
    calls.add(part.tool_calls);
  };

  const contentType = response.headers.get("content-type") ?? "";
  if (contentType.includes("application/json")) {
    let payload: unknown;
    try {
      payload = await response.json();
    } catch (err) {
      ctx.signal.throwIfAborted();
      throw new AgentError("upstream_stream", `upstream sent invalid JSON: ${errorMessage(err)}`);
    }
    await handle(payload);
  } else {
    await readEventStream(ctx, response, handle);
  }
  turn.toolCalls = calls.list();
  return turn;
}

async function readEventStream(
  ctx: AgentContext,
  response: Response,
  handle: (payload: unknown) => Promise<void>,
): Promise<void> {
  if (!response.body) throw new AgentError("upstream_stream", "upstream response has no body");
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const dispatch = async (events: string[]): Promise<boolean> => {
    for (const data of events) {
      if (data.trim() === "[DONE]") return true;
      let payload: unknown;
      try {
        payload = JSON.parse(data);
      } catch {
        throw new AgentError("upstream_stream", `upstream sent an event that is not JSON: ${data.slice(0, 200)}`);
      }
      await handle(payload);
    }
    return false;
  };
  const reader = response.body.getReader();
  try {
    for (;;) {
      let read: Awaited<ReturnType<typeof reader.read>>;
      try {
        read = await reader.read();
      } catch (err) {
        ctx.signal.throwIfAborted();
        throw new AgentError("upstream_stream", `upstream stream broke: ${errorMessage(err)}`);
      }
      if (read.done) {
        await dispatch(parser.push(decoder.decode()).concat(parser.end()));
        return;
      }
      if (await dispatch(parser.push(decoder.decode(read.value, { stream: true })))) return;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

function parseArguments(text: string): Record<string, unknown> | undefined {
  if (text.trim() === "") return {};
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

async function runFunctionCall(
  ctx: AgentContext,
  names: Map<string, ToolTarget>,
  call: FunctionCall,
): Promise<ConversationMessage> {
  const target = names.get(call.function.name);
  if (!target) {
    ctx.logger.debug({ function: call.function.name.slice(0, 64) }, "model called an unknown function");
    return {
      role: "tool",
      tool_call_id: call.id,
      content: `Error: no tool named ${JSON.stringify(call.function.name)}`,
    };
  }
  const args = parseArguments(call.function.arguments);
  if (!args) {
    const mcp: McpKind = target.mcp;
    await ctx.emit(ctx.chunks.toolCall(call.id, mcp, target.tool, {}));
    const content = [{ type: "text", text: "the arguments are not a JSON object" }];
    await ctx.emit(ctx.chunks.toolResult(call.id, content, true));
    return { role: "tool", tool_call_id: call.id, content: "Error: the arguments are not a JSON object" };
  }
  const outcome = await runToolCall(ctx, { id: call.id, mcp: target.mcp, name: target.tool, arguments: args });
  return { role: "tool", tool_call_id: call.id, content: toolOutcomeText(outcome) };
}

/**
 * The OpenAI-compatible upstream: streams Chat Completions with every
 * declared mcp's tools offered as functions, runs the tool calls through the
 * conduit and loops until the model stops calling tools or max_turns.
 */
export async function runOpenAiUpstream(ctx: AgentContext, agent: OpenAiAgent): Promise<UpstreamResult> {
  let { tools, names } = await offeredTools(ctx);
  ctx.mcp.takeToolsChanged();
  for (let turn = 0; turn < ctx.body.max_turns; turn += 1) {
    ctx.signal.throwIfAborted();
    await deliverNotifications(ctx);
    if (ctx.mcp.takeToolsChanged()) ({ tools, names } = await offeredTools(ctx));
    const result = await streamCompletion(ctx, agent, tools);
    const assistant: ConversationMessage = {
      role: "assistant",
      content: result.content.length > 0 ? result.content : null,
    };
    if (result.toolCalls.length > 0) assistant.tool_calls = result.toolCalls;
    ctx.conversation.push(assistant);
    if (result.toolCalls.length === 0) {
      // A notification that arrived while the model answered gets its own turn, while turns remain.
      if (ctx.inbox.size > 0 && turn + 1 < ctx.body.max_turns) continue;
      return { finishReason: "stop" };
    }
    for (const call of result.toolCalls) {
      ctx.signal.throwIfAborted();
      ctx.conversation.push(await runFunctionCall(ctx, names, call));
    }
  }
  return { finishReason: "max_turns" };
}
