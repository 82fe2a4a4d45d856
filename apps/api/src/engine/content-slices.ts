/** Most UTF-16 code units one `delta` chunk carries (at most 48 KiB of UTF-8). */
export const MAX_DELTA_UNITS = 16 * 1024;

/** How many deltas small content is streamed as. */
const SMALL_PIECES = 3;

/**
 * True when `text` streams as more than the 3 small pieces. Only then does the
 * mock upstream give the event loop a turn between slices: small content
 * keeps streaming within one turn, so a notify can never slip in between a
 * content turn and the await_notification after it.
 */
export function isBigContent(text: string, maxUnits = MAX_DELTA_UNITS): boolean {
  return text.length > SMALL_PIECES * maxUnits;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/**
 * Lazily slices `text` into deltas that never split a surrogate pair: up to 3
 * pieces while each fits in `maxUnits` code units, otherwise pieces of at
 * most `maxUnits` units. Each piece is a `slice` of the one shared string, so
 * streaming never copies the whole text (every agent of a swarm streams the
 * same content).
 */
export function* contentSlices(text: string, maxUnits = MAX_DELTA_UNITS): Generator<string, void, undefined> {
  if (!Number.isInteger(maxUnits) || maxUnits < 2) throw new RangeError("maxUnits must be an integer >= 2");
  if (text.length === 0) {
    yield "";
    return;
  }
  const size = Math.min(maxUnits, Math.ceil(text.length / SMALL_PIECES));
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + size, text.length);
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1)) && isLowSurrogate(text.charCodeAt(end))) {
      // Keep the pair together: grow the piece while that stays within the bound (so small content
      // keeps its 3 pieces), otherwise shrink it (a bound >= 2 leaves it non-empty).
      end += end - start < maxUnits ? 1 : -1;
    }
    yield text.slice(start, end);
    start = end;
  }
}
