// The request body of /agent/completions (what the API server accepts): not
// part of the wire, so it has its own entry point, `@conduit/protocol/body`.
export * from "./schema.js";
export { decodeBody, parseRequestBody } from "./decode.js";
