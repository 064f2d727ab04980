/**
 * VAs at an emulator MMU's object-returning edge (`translate`,
 * `debugTranslate`, invalidation by VA), turned into the 32-bit halves the
 * walks use, with one rule and one error wording on every architecture.
 *
 * @module
 */

import type { AddrLike } from '@page-table/memory-addr';

const TWO32 = 4294967296;
const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** A 64-bit value as its high and low unsigned 32-bit halves. */
export type Halves = readonly [hi: number, lo: number];

function show(x: unknown): string {
  if (typeof x === 'bigint') return `${x < 0n ? '-' : ''}0x${(x < 0n ? -x : x).toString(16)}`;
  if (typeof x === 'number')
    return Number.isInteger(x) && Math.abs(x) > 9 ? `${x < 0 ? '-' : ''}0x${Math.abs(x).toString(16)}` : String(x);
  return typeof x === 'symbol' ? x.toString() : typeof x;
}

/**
 * A VA given to `translate`, `debugTranslate` or an invalidation as halves,
 * with the one meaning a number VA has on every MMU (the same as on
 * `translatePa`): a safe integer read as a 64-bit two's-complement value, so
 * a negative number is the sign-extended VA. A bigint must lie in
 * 0..2^64-1. Anything else (a fraction, a number beyond ±2^53, another type)
 * is a `RangeError` naming `who`.
 */
export function vaHalves(x: AddrLike | unknown, who: string): Halves {
  if (typeof x === 'number') {
    if (Number.isSafeInteger(x)) return [Math.floor(x / TWO32) >>> 0, x >>> 0];
    throw new RangeError(`${who}: VA ${show(x)} is not a safe integer; pass a bigint`);
  }
  if (typeof x === 'bigint') {
    if (x < 0n || x > U64_MAX) throw new RangeError(`${who}: VA ${show(x)} is outside 0..2^64-1`);
    return [Number(x >> 32n), Number(x & 0xffff_ffffn)];
  }
  throw new RangeError(`${who}: VA must be a number or bigint, got ${show(x)}`);
}

/**
 * A 64-bit register value (CR3, satp, TTBR0_EL1, MAIR_EL1, PWCL...) as its
 * unsigned halves, with one rule and one error wording on every MMU: a
 * non-negative safe integer or a bigint in 0..2^64-1. Registers hold bit
 * patterns, not addresses, so a negative number is refused rather than
 * sign-extended (unlike a VA, see {@link vaHalves}). Anything else is a
 * `RangeError` naming `who` and the register `what`.
 */
export function registerHalves(x: unknown, who: string, what: string): Halves {
  if (typeof x === 'number') {
    if (Number.isSafeInteger(x) && x >= 0) return [Math.floor(x / TWO32) >>> 0, x >>> 0];
    throw new RangeError(`${who}: ${what} ${show(x)} is not a non-negative safe integer; pass a bigint`);
  }
  if (typeof x === 'bigint') {
    if (x < 0n || x > U64_MAX) throw new RangeError(`${who}: ${what} ${show(x)} is outside 0..2^64-1`);
    return [Number(x >> 32n), Number(x & 0xffff_ffffn)];
  }
  throw new RangeError(`${who}: ${what} must be a number or bigint, got ${show(x)}`);
}

/** Halves back to the canonical address value: a number below 2^53, else a bigint. */
export function halvesValue(hi: number, lo: number): number | bigint {
  hi >>>= 0;
  lo >>>= 0;
  return hi < 0x20_0000 ? hi * TWO32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
}
