import { CloseCode } from "@conduit/protocol";

/**
 * The close code `ws` sends itself when its receiver rejects a frame. The
 * peer usually never answers that close frame, so `ws` reports 1006 on
 * 'close'; AttachedSockets reports this code instead, which says why.
 */
export function closeCodeForWsError(errorCode: string | undefined): number | undefined {
  if (errorCode === undefined || !errorCode.startsWith("WS_ERR_")) return undefined;
  switch (errorCode) {
    case "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH":
    case "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH":
      return CloseCode.TooLarge;
    case "WS_ERR_INVALID_UTF8":
      return CloseCode.InvalidPayload;
    case "WS_ERR_TOO_MANY_BUFFERED_PARTS":
      return CloseCode.Policy;
    default:
      return CloseCode.ProtocolError;
  }
}
