/**
 * The one error type of the dump readers.
 *
 * @module
 */

/**
 * What was wrong with the input:
 * - `NotACore`: a valid file of another kind (an ELF executable, a shared object).
 * - `Truncated`: the file ends before a structure it announces.
 * - `Unsupported`: a real format or variant this reader does not decode (a note version, a compression).
 * - `Corrupt`: fields that contradict each other or the format.
 */
export type DumpErrorKind = 'NotACore' | 'Truncated' | 'Unsupported' | 'Corrupt';

/**
 * Thrown by every reader for bad input, with a message that says what the
 * file is and what was expected. Opening never half-succeeds: a reader that
 * throws has returned nothing.
 */
export class DumpError extends Error {
  /** The class of problem, for callers that react differently to each. */
  readonly kind: DumpErrorKind;

  /** An error of `kind` with a complete one-line `message`. */
  constructor(kind: DumpErrorKind, message: string) {
    super(message);
    this.name = 'DumpError';
    this.kind = kind;
  }
}
