/**
 * The close code `ws` sends itself when its receiver rejects a frame. The
 * peer usually never answers that close frame, so `ws` reports 1006 on
 * 'close'; Conduit reports this code instead, which says why.
 */
export function closeCodeForWsError(errorCode: string | undefined): number | undefined {
  if (errorCode === undefined || !errorCode.startsWith("WS_ERR_")) return undefined;
  switch (errorCode) {
    case "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH":
    case "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH":
      return 1009;
    case "WS_ERR_INVALID_UTF8":
      return 1007;
    case "WS_ERR_TOO_MANY_BUFFERED_PARTS":
      return 1008;
    default:
      return 1002;
  }
}
