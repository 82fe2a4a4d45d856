/** How an upstream ended when it did not fail (failures throw an AgentError). */
export interface UpstreamResult {
  finishReason: "stop" | "max_turns";
}
