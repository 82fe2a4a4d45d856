import type { Chunk, Elicitation } from "@conduit/protocol";

/**
 * Turns chunks into readable lines, one entry per event, prefixed by the
 * agent's index. Deltas of an agent are held back and printed as one block
 * when that agent's next event (or its finish) arrives, or on flush().
 */
export class ReadablePrinter {
  readonly #pendingText = new Map<number, string>();

  push(chunk: Chunk): string[] {
    const { index } = chunk;
    if (chunk.delta) this.#pendingText.set(index, (this.#pendingText.get(index) ?? "") + chunk.delta.content);
    const events = describeEvents(chunk);
    if (events.length === 0) return [];
    return [...this.#flushAgent(index), ...events.flatMap((event) => prefixed(index, event, "  "))];
  }

  /** Everything still held back, agents in index order. */
  flush(): string[] {
    return [...this.#pendingText.keys()].sort((a, b) => a - b).flatMap((index) => this.#flushAgent(index));
  }

  #flushAgent(index: number): string[] {
    const text = this.#pendingText.get(index);
    this.#pendingText.delete(index);
    if (text === undefined) return [];
    const trimmed = text.replace(/\n+$/, "");
    return trimmed.length === 0 ? [] : prefixed(index, trimmed, "");
  }
}

function describeEvents(chunk: Chunk): string[] {
  const events: string[] = [];
  if (chunk.tool_call) {
    const { mcp, name, arguments: args } = chunk.tool_call;
    events.push(`→ tool ${mcp}::${name}(${JSON.stringify(args)})`);
  }
  if (chunk.tool_progress) {
    const { progress, total, message } = chunk.tool_progress;
    events.push(`… progress ${progress}${total !== undefined ? `/${total}` : ""}${message ? ` ${message}` : ""}`);
  }
  if (chunk.tool_result) {
    const label = chunk.tool_result.is_error ? "result (error)" : "result";
    events.push(`← ${label}: ${describeContent(chunk.tool_result.content)}`);
  }
  if (chunk.notification) events.push(`✉ notification: ${chunk.notification.content}`);
  if (chunk.elicitation) events.push(describeElicitation(chunk.elicitation).join("\n"));
  if (chunk.elicitation_result) {
    const { id, action, source } = chunk.elicitation_result;
    events.push(
      `? ${id} ${action === "accept" ? "accepted" : action === "decline" ? "declined" : "cancelled"} (${source})`,
    );
  }
  if (chunk.finish_reason) {
    const usage = chunk.usage
      ? ` (usage: prompt ${chunk.usage.prompt_tokens}, completion ${chunk.usage.completion_tokens}, total ${chunk.usage.total_tokens})`
      : "";
    const error = chunk.error ? ` — error ${chunk.error.code}: ${chunk.error.message}` : "";
    events.push(`■ finished: ${chunk.finish_reason}${usage}${error}`);
  } else if (chunk.error) {
    events.push(`✖ error ${chunk.error.code}: ${chunk.error.message}`);
  }
  return events;
}

/** An elicitation as lines: what is asked, then one line per form field or the URL to open. */
export function describeElicitation(elicitation: Elicitation): string[] {
  const lines = [`? ${elicitation.id} ${elicitation.mcp} asks (${elicitation.mode}): ${elicitation.message}`];
  if (elicitation.mode === "url") lines.push(`open: ${elicitation.url ?? "(no url)"}`);
  else lines.push(...describeFields(elicitation.requested_schema));
  return lines;
}

/** The fields of an MCP form schema: `name (type, required): description [default …]`. */
export function describeFields(schema: Record<string, unknown> | undefined): string[] {
  const properties = schema?.properties;
  if (typeof properties !== "object" || properties === null) return [];
  const required = new Set(Array.isArray(schema?.required) ? schema.required.filter((x) => typeof x === "string") : []);
  return Object.entries(properties as Record<string, unknown>).map(([name, value]) => {
    const field = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
    const choices = Array.isArray(field.enum)
      ? field.enum
      : Array.isArray(field.oneOf)
        ? field.oneOf.map((option: unknown) =>
            typeof option === "object" && option !== null ? (option as { const?: unknown }).const : option,
          )
        : undefined;
    const type = choices ? `one of ${choices.map(asText).join(", ")}` : asText(field.type ?? "any");
    const description = typeof field.description === "string" ? `: ${field.description}` : "";
    const fallback = field.default !== undefined ? ` [default ${asText(field.default)}]` : "";
    return `${name} (${type}${required.has(name) ? ", required" : ""})${description}${fallback}`;
  });
}

/** MCP content blocks as text: text as is, binary as `[image image/png, 123 bytes]`. */
export function describeContent(content: readonly unknown[]): string {
  return content.map(describeBlock).join(" ");
}

function describeBlock(block: unknown): string {
  if (typeof block !== "object" || block === null) return JSON.stringify(block);
  const item = block as Record<string, unknown>;
  switch (item.type) {
    case "text":
      return typeof item.text === "string" ? item.text : "";
    case "image":
    case "audio":
      return `[${item.type} ${asText(item.mimeType)}, ${typeof item.data === "string" ? Buffer.byteLength(item.data, "base64") : 0} bytes]`;
    case "resource": {
      const resource = item.resource as { uri?: unknown } | undefined;
      return `[resource ${asText(resource?.uri)}]`;
    }
    case "resource_link":
      return `[link ${asText(item.uri)}]`;
    default:
      return `[${asText(item.type)}]`;
  }
}

/** A field of server-sent JSON as text. String() would throw on an object such as `{"toString":1}`. */
function asText(value: unknown): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value) ?? String(value);
}

function prefixed(index: number, text: string, continuation: string): string[] {
  return text.split("\n").map((line, i) => `[${index}] ${i === 0 ? "" : continuation}${line}`);
}
