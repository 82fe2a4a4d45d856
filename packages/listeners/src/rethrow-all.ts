/**
 * Throws what handlers threw, once every handler ran (a throwing handler must
 * not stop the others): the one error as is, several as an AggregateError.
 */
export function rethrowAll(errors: readonly unknown[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, "stream handlers threw");
}
