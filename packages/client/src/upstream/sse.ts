import { createParser, type EventSourceParser } from "eventsource-parser";
import type { BodySink } from "./http-exchange.js";

export interface SseHandlers {
  /** The data of each `message` event (or event without a type), in order. */
  onData(data: string): void;
  /** An event's id (Last-Event-ID for resuming the stream). */
  onId(id: string): void;
  /** The server's `retry:` advice, in ms. */
  onRetry(ms: number): void;
  /** An event grew past the bound: the stream must be ended. */
  onTooLong(): void;
  end(): void;
  error(error: Error): void;
}

/**
 * An event stream read incrementally (eventsource-parser): each event's data
 * is handed on as soon as its blank line arrives. One event (its data plus the
 * line still being read) may hold at most `maxEventChars` characters.
 */
export function sseSink(maxEventChars: number, handlers: SseHandlers): BodySink {
  const decoder = new TextDecoder();
  let tooLong = false;
  const parser: EventSourceParser = createParser({
    maxBufferSize: maxEventChars,
    onEvent: (event) => {
      if (event.id !== undefined) handlers.onId(event.id);
      if (event.data.length > 0 && (event.event === undefined || event.event === "message")) {
        handlers.onData(event.data);
      }
    },
    onRetry: (ms) => handlers.onRetry(ms),
    onError: (error) => {
      // Unknown fields and bad retry values are ignored, as an EventSource does.
      if (error.type !== "max-buffer-size-exceeded" || tooLong) return;
      tooLong = true;
      handlers.onTooLong();
    },
  });
  return {
    data(chunk) {
      if (!tooLong) parser.feed(decoder.decode(chunk, { stream: true }));
    },
    end: () => handlers.end(),
    error: (error) => handlers.error(error),
  };
}
