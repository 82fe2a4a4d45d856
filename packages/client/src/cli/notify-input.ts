export type NotifyTarget = { responseId: string } | { index: number };

export type NotifyLine =
  { kind: "empty" } | { kind: "notify"; target: NotifyTarget; content: string } | { kind: "invalid"; reason: string };

const USAGE = 'expected {"response_id":…,"content":…}, `<response_id> <content>` or `#<index> <content>`';

/** Parses one stdin line into a notify request. Never throws. */
export function parseNotifyLine(line: string): NotifyLine {
  const trimmed = line.trim();
  if (trimmed.length === 0) return { kind: "empty" };
  if (trimmed.startsWith("{")) return parseJsonLine(trimmed);
  const match = /^(\S+)\s+(.+)$/s.exec(trimmed);
  if (!match) return { kind: "invalid", reason: USAGE };
  const [, target, content] = match as unknown as [string, string, string];
  if (target.startsWith("#")) {
    if (!/^#\d+$/.test(target))
      return { kind: "invalid", reason: `bad agent index ${JSON.stringify(target)}: ${USAGE}` };
    return { kind: "notify", target: { index: Number(target.slice(1)) }, content };
  }
  return { kind: "notify", target: { responseId: target }, content };
}

function parseJsonLine(text: string): NotifyLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { kind: "invalid", reason: `invalid JSON: ${(error as Error).message}` };
  }
  const candidate = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  const { response_id: responseId, content } = candidate;
  if (typeof responseId !== "string" || responseId.length === 0 || typeof content !== "string") {
    return { kind: "invalid", reason: 'a JSON notify line needs a string "response_id" and a string "content"' };
  }
  return { kind: "notify", target: { responseId }, content };
}
