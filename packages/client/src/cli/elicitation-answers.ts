import type { Chunk, ElicitationAction, ElicitationContent } from "@conduit/protocol";
import { ConduitError } from "../errors.js";
import { forLog } from "../log-text.js";
import type { AttachSession, Logger } from "../types.js";
import { describeElicitation } from "./printer.js";

export type ElicitationLine =
  { kind: "answer"; action: ElicitationAction; content?: ElicitationContent } | { kind: "invalid"; reason: string };

const HOW_TO_ANSWER =
  "answer with one line: a JSON object to accept with that content, `accept` to accept without content, " +
  "an empty line to decline, `cancel` to cancel";

/** Parses the line a human typed to answer an elicitation. Never throws. */
export function parseElicitationLine(line: string): ElicitationLine {
  const text = line.trim();
  if (text === "") return { kind: "answer", action: "decline" };
  if (text === "cancel") return { kind: "answer", action: "cancel" };
  if (text === "accept") return { kind: "answer", action: "accept" };
  if (!text.startsWith("{")) return { kind: "invalid", reason: HOW_TO_ANSWER };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { kind: "invalid", reason: `invalid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { kind: "invalid", reason: HOW_TO_ANSWER };
  }
  const flat = Object.values(value).every(
    (item) =>
      typeof item === "string" ||
      typeof item === "number" ||
      typeof item === "boolean" ||
      (Array.isArray(item) && item.every((entry) => typeof entry === "string")),
  );
  if (!flat) return { kind: "invalid", reason: "each value must be a string, number, boolean or array of strings" };
  return { kind: "answer", action: "accept", content: value as ElicitationContent };
}

interface Waiting {
  responseId: string;
  elicitationId: string;
  /** The elicitation chunk, to ask it when its turn comes. */
  chunk: Chunk;
}

export interface ElicitationAnswersOptions {
  session: AttachSession;
  /** A human can answer on stdin (a TTY, not used for the body). */
  interactive: boolean;
  /** The question is not on stdout (--json): the prompt repeats it on stderr. */
  repeatQuestion: boolean;
  prompt: (text: string) => void;
  log: Logger;
}

/**
 * Answers the stream's `elicitation` chunks. Not interactive: `decline` at
 * once, said on stderr. Interactive: the elicitations queue up and the next
 * stdin lines answer them, oldest first (a line goes to notify only while none
 * waits); one that ends otherwise (timeout, cancelled) leaves the queue.
 */
export class ElicitationAnswers {
  readonly #options: ElicitationAnswersOptions;
  readonly #queue: Waiting[] = [];

  constructor(options: ElicitationAnswersOptions) {
    this.#options = options;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  /** Every chunk of the stream passes here. */
  chunk(chunk: Chunk): void {
    if (chunk.elicitation) {
      const waiting = { responseId: chunk.id, elicitationId: chunk.elicitation.id, chunk };
      if (!this.#options.interactive) {
        this.#options.log(
          "warn",
          `agent #${chunk.index} asks ${forLog(chunk.elicitation.message)}: declined, stdin is not interactive`,
        );
        this.#send(waiting, { kind: "answer", action: "decline" });
        return;
      }
      this.#queue.push(waiting);
      if (this.#queue.length === 1) this.#ask(chunk);
      else this.#options.prompt(`(elicitation ${waiting.elicitationId} waits behind ${this.#queue.length - 1})\n`);
      return;
    }
    if (chunk.elicitation_result) {
      const position = this.#queue.findIndex((item) => item.elicitationId === chunk.elicitation_result?.id);
      if (position < 0) return;
      const [ended] = this.#queue.splice(position, 1);
      if (chunk.elicitation_result.source !== "user") {
        this.#options.prompt(
          `elicitation ${ended!.elicitationId} ended: ${chunk.elicitation_result.action} (${chunk.elicitation_result.source})\n`,
        );
      }
      if (position === 0) this.#askNext();
    }
  }

  /** Offers a stdin line; true when it answered the oldest waiting elicitation (or was refused as an answer). */
  takeLine(line: string): boolean {
    const head = this.#queue[0];
    if (!head) return false;
    const parsed = parseElicitationLine(line);
    if (parsed.kind === "invalid") {
      this.#options.prompt(`not an answer: ${parsed.reason}\n`);
      return true;
    }
    this.#queue.shift();
    this.#send(head, parsed);
    this.#askNext();
    return true;
  }

  #askNext(): void {
    const next = this.#queue[0];
    if (next) this.#ask(next.chunk, true);
  }

  /** The question (on stderr too when stdout does not show it, or when it was asked a while ago) and how to answer. */
  #ask(chunk: Chunk, again = false): void {
    const elicitation = chunk.elicitation!;
    const question =
      this.#options.repeatQuestion || again
        ? `${describeElicitation(elicitation)
            .map((line, i) => (i === 0 ? `[${chunk.index}] ${line}` : `      ${line}`))
            .join("\n")}\n`
        : "";
    this.#options.prompt(`${question}${elicitation.id}: ${HOW_TO_ANSWER}\n> `);
  }

  #send(waiting: Waiting, answer: Extract<ElicitationLine, { kind: "answer" }>): void {
    const { log, session } = this.#options;
    session.respondElicitation(waiting.responseId, waiting.elicitationId, answer.action, answer.content).then(
      () => log("info", `elicitation ${waiting.elicitationId} answered: ${answer.action}`),
      (error: unknown) => {
        const code = error instanceof ConduitError ? ` (${error.code})` : "";
        log(
          "error",
          `answer to elicitation ${waiting.elicitationId} failed${code}: ${forLog((error as Error).message)}`,
        );
      },
    );
  }
}
