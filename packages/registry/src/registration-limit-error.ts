/** Thrown when a guard would register more response ids than its limit allows. */
export class RegistrationLimitError extends Error {
  override readonly name = "RegistrationLimitError";

  constructor(readonly limit: number) {
    super(`too many response ids registered on one socket (limit ${limit})`);
  }
}
