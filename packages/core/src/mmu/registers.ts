/**
 * Register values and VAs at an emulator MMU's edge (constructor, setters,
 * `translate`, `debugTranslate`, invalidation), turned into the 32-bit
 * halves the walks use, with one rule and one error wording on every
 * architecture.
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
 * A register value as halves. A number must be a non-negative safe integer,
 * or a negative int32 — what JS bit operations produce (`0x8000_0011 |
 * 0x1_0000` is negative) — read as its unsigned 32-bit value; a bigint must
 * lie in 0..2^64-1. Anything else is a `RangeError` naming `who` and `name`.
 */
export function registerHalves(x: unknown, who: string, name: string): Halves {
  if (typeof x === 'number') {
    if (Number.isSafeInteger(x) && x >= 0) return [Math.floor(x / TWO32) >>> 0, x >>> 0];
    if (Number.isInteger(x) && x < 0 && x >= -0x8000_0000) return [0, x >>> 0];
    throw new RangeError(`${who}: ${name} ${show(x)} is not a non-negative safe integer or an int32; pass a bigint above 2^53-1`);
  }
  if (typeof x === 'bigint') {
    if (x < 0n || x > U64_MAX) throw new RangeError(`${who}: ${name} ${show(x)} is outside 0..2^64-1`);
    return [Number(x >> 32n), Number(x & 0xffff_ffffn)];
  }
  throw new RangeError(`${who}: ${name} must be a number or bigint, got ${show(x)}`);
}

/**
 * A VA as halves: a safe integer, negative ones sign-extended (the meaning
 * `translatePa` gives a number on every MMU), or a bigint in
 * -2^63..2^64-1 (negative = sign-extended too). Anything else is a
 * `RangeError` naming `who`.
 */
export function vaHalves(x: AddrLike | unknown, who: string): Halves {
  if (typeof x === 'number') {
    if (Number.isSafeInteger(x)) return [Math.floor(x / TWO32) >>> 0, x >>> 0];
    throw new RangeError(`${who}: VA ${show(x)} is not a safe integer; pass a bigint or translatePaHalves`);
  }
  if (typeof x === 'bigint') {
    if (x < -(1n << 63n) || x > U64_MAX) throw new RangeError(`${who}: VA ${show(x)} is outside -2^63..2^64-1`);
    const u = x < 0n ? x + (1n << 64n) : x;
    return [Number(u >> 32n), Number(u & 0xffff_ffffn)];
  }
  throw new RangeError(`${who}: VA must be a number or bigint, got ${show(x)}`);
}

/** Halves back to the canonical address value: a number below 2^53, else a bigint. */
export function halvesValue(hi: number, lo: number): number | bigint {
  hi >>>= 0;
  lo >>>= 0;
  return hi < 0x20_0000 ? hi * TWO32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
}

/** Halves as a bigint (for raw entries and register read-back). */
export function halvesBig(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}
