/** A payload that cannot be encoded or decoded; the message says why, for the device's or the coordinator's log. */
export class CodecError extends Error {
  override name = 'CodecError';
}
