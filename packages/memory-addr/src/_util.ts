/**
 * Internal helpers shared by the modules of this package (not re-exported).
 *
 * @module
 */

/** 2^53 - 1 as a bigint: the largest value kept as a number. */
export const SAFE_MAX_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/** 2^64, the size of the address space. */
export const TWO_64 = 1n << 64n;

/** Bounds of a signed 64-bit offset (Rust `isize` on a 64-bit target). */
export const I64_MIN = -(1n << 63n);
export const I64_MAX = (1n << 63n) - 1n;

/** Largest power of two that is a 64-bit unsigned value (largest alignment or page size). */
export const POW2_MAX = 1n << 63n;

/** Shows a value for an error message: bigints in hex with an `n`, everything else as `String` does. */
export function describe(x: unknown): string {
  return typeof x === 'bigint' ? `${x < 0n ? '-' : ''}0x${(x < 0n ? -x : x).toString(16)}n` : String(x);
}

/** Hex form of an exact integer (either sign) for messages, e.g. `0x1000` or `-0x10`. */
export function hexOf(x: number | bigint): string {
  return x < 0 ? `-0x${(-x).toString(16)}` : `0x${x.toString(16)}`;
}

/** Canonical form of an exact signed integer: a number when it is a safe integer, else the bigint. */
export function canonSigned(x: bigint): number | bigint {
  return x >= -SAFE_MAX_BIG && x <= SAFE_MAX_BIG ? Number(x) : x;
}
