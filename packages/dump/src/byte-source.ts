/**
 * Random-access bytes: what every reader reads a dump from.
 *
 * @module
 */

import { DumpError } from './error.js';

/**
 * Synchronous random access to the bytes of a file or buffer. The browser
 * wraps a `File` read into memory with {@link bytesSource}; the CLI reads a
 * file descriptor. Offsets and sizes are byte counts below 2^53.
 */
export interface ByteSource {
  /** Total bytes. */
  readonly size: number;
  /**
   * Copies bytes from `offset` into `into` (as many as fit) and returns how
   * many were copied: fewer than `into.length` only at the end of the source.
   */
  readAt(offset: number, into: Uint8Array): number;
}

/** A {@link ByteSource} over bytes already in memory (no copy is made). */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    readAt(offset: number, into: Uint8Array): number {
      if (offset >= bytes.length || offset < 0) return 0;
      const n = Math.min(into.length, bytes.length - offset);
      into.set(bytes.subarray(offset, offset + n));
      return n;
    },
  };
}

/**
 * Reads exactly `length` bytes at `offset`, or throws a `Truncated`
 * {@link DumpError} naming `what` was being read and where the source ends.
 */
export function readExact(src: ByteSource, offset: number, length: number, what: string): Uint8Array {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new DumpError('Corrupt', `${what}: offset ${offset} / length ${length} is not a valid file range`);
  }
  if (offset + length > src.size) {
    throw new DumpError(
      'Truncated',
      `truncated: ${what} needs bytes 0x${offset.toString(16)}..0x${(offset + length).toString(16)} but the file ends at 0x${src.size.toString(16)}`,
    );
  }
  const out = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = src.readAt(offset + got, out.subarray(got));
    if (n <= 0) break;
    got += n;
  }
  if (got < length) {
    throw new DumpError(
      'Truncated',
      `truncated: ${what} at 0x${offset.toString(16)}: the source returned ${got} of ${length} bytes`,
    );
  }
  return out;
}

/** Copies up to `into.length` bytes at `offset`, looping over short reads; returns the bytes copied. */
export function readFully(src: ByteSource, offset: number, into: Uint8Array): number {
  let got = 0;
  while (got < into.length) {
    const n = src.readAt(offset + got, into.subarray(got));
    if (n <= 0) break;
    got += n;
  }
  return got;
}
