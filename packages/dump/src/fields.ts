/**
 * Fixed-width fields of on-disk structures, little- or big-endian.
 *
 * @module
 */

import { DumpError } from './error.js';

/** A view of one structure's bytes that decodes its fields in one byte order. */
export class Fields {
  private readonly view: DataView;

  /** Fields of `bytes`; `littleEndian` is the structure's byte order. */
  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian = true,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Unsigned byte at `at`. */
  u8(at: number): number {
    return this.bytes[at];
  }

  /** Unsigned 16-bit field at `at`. */
  u16(at: number): number {
    return this.view.getUint16(at, this.littleEndian);
  }

  /** Unsigned 32-bit field at `at`. */
  u32(at: number): number {
    return this.view.getUint32(at, this.littleEndian);
  }

  /** Unsigned 64-bit field at `at`, exact. */
  u64(at: number): bigint {
    return this.view.getBigUint64(at, this.littleEndian);
  }

  /**
   * Unsigned 64-bit field at `at` used as a file offset or size: a number,
   * or a `Corrupt` {@link DumpError} naming `what` when it is 2^53 or more.
   */
  offset64(at: number, what: string): number {
    return toOffset(this.u64(at), what);
  }

  /** The NUL-terminated ASCII string in `length` bytes at `at`. */
  str(at: number, length: number): string {
    let end = at;
    while (end < at + length && this.bytes[end] !== 0) end++;
    return latin1(this.bytes.subarray(at, end));
  }
}

/** A 64-bit file offset or size as a number, or a `Corrupt` error naming `what`. */
export function toOffset(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new DumpError('Corrupt', `${what} 0x${value.toString(16)} is beyond any file`);
  }
  return Number(value);
}

/** Bytes as a string, one character per byte (the notes and headers are ASCII). */
export function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return s;
}

/** `0x`-prefixed hex of an offset or address, for messages. */
export function hex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}
