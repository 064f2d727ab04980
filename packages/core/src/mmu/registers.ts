/**
 * VAs at an emulator MMU's address-like edge (`translate`,
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
  if (typeof x === 'number') return Number.isInteger(x) && Math.abs(x) > 9 ? `${x < 0 ? '-' : ''}0x${Math.abs(x).toString(16)}` : String(x);
  return typeof x === 'symbol' ? x.toString() : typeof x;
}

/**
 * An address-like VA (`translate`, `debugTranslate`, invalidation by VA) as
 * halves, by memory-addr's rule on every MMU: a non-negative safe integer or
 * a bigint in 0..2^64-1; a negative value, a fraction or another type is a
 * `RangeError` naming `who`. (A negative *number* means a sign-extended VA
 * only on the allocation-free `translatePa` path, see `vaHi`.)
 */
export function vaHalves(x: AddrLike | unknown, who: string): Halves {
  if (typeof x === 'number') {
    if (Number.isSafeInteger(x) && x >= 0) return [Math.floor(x / TWO32) >>> 0, x >>> 0];
    throw new RangeError(`${who}: VA ${show(x)} is not a non-negative safe integer; pass a bigint (or a signed number to translatePa)`);
  }
  if (typeof x === 'bigint') {
    if (x < 0n || x > U64_MAX) throw new RangeError(`${who}: VA ${show(x)} is outside 0..2^64-1`);
    return [Number(x >> 32n), Number(x & 0xffff_ffffn)];
  }
  throw new RangeError(`${who}: VA must be a number or bigint, got ${show(x)}`);
}

/** Halves back to the canonical address value: a number below 2^53, else a bigint. */
export function halvesValue(hi: number, lo: number): number | bigint {
  hi >>>= 0;
  lo >>>= 0;
  return hi < 0x20_0000 ? hi * TWO32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
}
