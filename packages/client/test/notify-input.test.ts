import { expect, test } from "vitest";
import { parseNotifyLine } from "../src/cli/notify-input.js";

test.each([
  ["", { kind: "empty" }],
  ["   ", { kind: "empty" }],
  [
    '{"response_id":"resp_1","content":"hi there"}',
    { kind: "notify", target: { responseId: "resp_1" }, content: "hi there" },
  ],
  ["resp_1 please   stop now", { kind: "notify", target: { responseId: "resp_1" }, content: "please   stop now" }],
  ["#3 go", { kind: "notify", target: { index: 3 }, content: "go" }],
])("%j", (line, expected) => {
  expect(parseNotifyLine(line)).toEqual(expected);
});

test.each([
  ["just-one-word"],
  ["#x go"],
  ['{"response_id":1,"content":"x"}'],
  ['{"response_id":"r"}'],
  ["{not json"],
  ["[1,2]"],
])("%j is invalid, with a reason", (line) => {
  const parsed = parseNotifyLine(line);
  expect(parsed.kind).toBe("invalid");
  expect(parsed.kind === "invalid" && parsed.reason.length).toBeGreaterThan(0);
});
