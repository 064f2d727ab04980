/**
 * The errors `ptm` reports as one line on stderr.
 *
 * @module
 */

/** Exit status of a run that succeeded. */
export const EXIT_OK = 0;
/** Exit status of a run stopped by bad input data: a missing or short image, a root outside it. */
export const EXIT_FAILURE = 1;
/** Exit status of a command line that cannot be run: unknown command, option or arch, a bad number. */
export const EXIT_USAGE = 2;
/** Exit status of an internal error (a bug in ptm or the library): the message still fits one line. */
export const EXIT_INTERNAL = 70;

/**
 * An error the user can act on. `ptm` prints its message as
 * `ptm: error: <message>` and exits with {@link CliError.exitCode}; no stack.
 */
export class CliError extends Error {
  /** Always `'CliError'`. */
  override name = 'CliError';
  /** {@link EXIT_FAILURE} for bad data, {@link EXIT_USAGE} for a bad command line. */
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT_FAILURE) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** A {@link CliError} for a command line that cannot be run (exit status 2). */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}

/** Why an `fs` call failed, without Node's syscall decoration: `no such file`, `permission denied`, … */
export function fsReason(e: unknown): string {
  switch ((e as { code?: unknown }).code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}
