import type { AttachOutcome } from "../types.js";

export const ExitCode = {
  Finished: 0,
  Usage: 1,
  ErrorFrame: 2,
  Abnormal: 3,
  Interrupted: 130,
} as const;

export function exitCodeFor(outcome: AttachOutcome): number {
  switch (outcome.kind) {
    case "finished":
      return ExitCode.Finished;
    case "error_frame":
      return ExitCode.ErrorFrame;
    case "abnormal":
      return ExitCode.Abnormal;
  }
}
