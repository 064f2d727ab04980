/**
 * Power-of-two alignment of addresses.
 *
 * Upstream's `align_down`/`align_up` are bit masks that silently give garbage for
 * an alignment that is not a power of two, and `align_up` wraps to 0 at the top of
 * the space. Here both are errors. Numbers take an exact floating-point path
 * (`%` is exact on safe integers); bigints are used only when a value needs them.
 *
 * @module
 */

import { describe, POW2_MAX, SAFE_MAX_BIG } from './_util.js';
import { ADDR_MAX, AddressError, type AddrLike, type AnyAddr, fromBigUnchecked, toAddrValue } from './addr.js';
import { PAGE_SIZE_4K } from './constants.js';

const TWO_32 = 4294967296;

/** Whether a positive safe integer is a power of two (bitwise operators only see 32 bits, so peel off the high word first). */
function isPow2Number(x: number): boolean {
  if (x >= TWO_32) {
    if (x % TWO_32 !== 0) return false;
    x /= TWO_32;
  }
  // For 1 <= x < 2^32 the int32 bit patterns of x and x - 1 are exact.
  return (x & (x - 1)) === 0;
}

/**
 * Checks that `align` is a power of two in 1 .. 2^63 and returns it canonical
 * (a number when safe). Also used for page sizes; `what` names the caller.
 */
export function toAlignment(align: AddrLike, what = 'alignment'): number | bigint {
  if (typeof align === 'number') {
    if (Number.isSafeInteger(align) && align > 0 && isPow2Number(align)) return align;
    if (!Number.isSafeInteger(align) || align < 0) {
      throw new AddressError(
        `${what}: ${describe(align)} is not a safe non-negative integer; pass a bigint for values above 2^53-1`,
      );
    }
  } else if (typeof align === 'bigint') {
    if (align > 0n && align <= POW2_MAX && (align & (align - 1n)) === 0n) {
      return align <= SAFE_MAX_BIG ? Number(align) : align;
    }
  } else {
    throw new AddressError(`${what}: expected a number or bigint, got ${typeof align}`);
  }
  throw new AddressError(`${what}: ${describe(align)} is not a power of two in 1..2^63`);
}

/** Whether `x` is a power of two in 1 .. 2^63 (a valid alignment or page size); false for anything else. */
export function isPowerOfTwo(x: AddrLike): boolean {
  if (typeof x === 'number') return Number.isSafeInteger(x) && x > 0 && isPow2Number(x);
  return typeof x === 'bigint' && x > 0n && x <= POW2_MAX && (x & (x - 1n)) === 0n;
}

/**
 * Rounds `addr` down to a multiple of `align` (a power of two). Keeps the brand:
 * a `PhysAddr` gives a `PhysAddr`. Upstream `align_down` / `MemoryAddr::align_down`.
 */
export function alignDown<A extends AnyAddr>(addr: A, align: AddrLike): A;
export function alignDown(addr: AddrLike, align: AddrLike): number | bigint;
export function alignDown(addr: AddrLike, align: AddrLike): number | bigint {
  const a = toAddrValue(addr, 'alignDown');
  const al = toAlignment(align, 'alignDown alignment');
  if (typeof a === 'number' && typeof al === 'number') return a - (a % al);
  const m = BigInt(al) - 1n;
  return fromBigUnchecked(BigInt(a) & ~m);
}

/**
 * Rounds `addr` up to a multiple of `align` (a power of two). Throws
 * `AddressError` when the result would pass 2^64-1 (upstream wraps to 0).
 * Keeps the brand. Upstream `align_up` / `MemoryAddr::align_up`.
 */
export function alignUp<A extends AnyAddr>(addr: A, align: AddrLike): A;
export function alignUp(addr: AddrLike, align: AddrLike): number | bigint;
export function alignUp(addr: AddrLike, align: AddrLike): number | bigint {
  const a = toAddrValue(addr, 'alignUp');
  const al = toAlignment(align, 'alignUp alignment');
  if (typeof a === 'number' && typeof al === 'number') {
    const r = a % al;
    if (r === 0) return a;
    const down = a - r;
    // Both below 2^53, so the sum is below 2^64; it only needs a bigint past 2^53-1.
    return down <= Number.MAX_SAFE_INTEGER - al ? down + al : BigInt(down) + BigInt(al);
  }
  const m = BigInt(al) - 1n;
  const up = (BigInt(a) + m) & ~m;
  if (up > ADDR_MAX) {
    throw new AddressError(`alignUp: 0x${a.toString(16)} aligned up to 0x${al.toString(16)} passes 2^64-1`);
  }
  return fromBigUnchecked(up);
}

/**
 * The offset of `addr` past the previous multiple of `align` (a power of two),
 * i.e. `addr - alignDown(addr, align)`. Upstream `align_offset`.
 */
export function alignOffset(addr: AddrLike, align: AddrLike): number | bigint {
  const a = toAddrValue(addr, 'alignOffset');
  const al = toAlignment(align, 'alignOffset alignment');
  if (typeof a === 'number' && typeof al === 'number') return a % al;
  return fromBigUnchecked(BigInt(a) & (BigInt(al) - 1n));
}

/** Whether `addr` is a multiple of `align` (a power of two). Upstream `is_aligned`. */
export function isAligned(addr: AddrLike, align: AddrLike): boolean {
  return alignOffset(addr, align) === 0;
}

/** {@link alignDown} to a 4 KiB page boundary. Upstream `align_down_4k`. */
export function alignDown4K<A extends AnyAddr>(addr: A): A;
export function alignDown4K(addr: AddrLike): number | bigint;
export function alignDown4K(addr: AddrLike): number | bigint {
  return alignDown(addr, PAGE_SIZE_4K);
}

/** {@link alignUp} to a 4 KiB page boundary; throws past 2^64-1. Upstream `align_up_4k`. */
export function alignUp4K<A extends AnyAddr>(addr: A): A;
export function alignUp4K(addr: AddrLike): number | bigint;
export function alignUp4K(addr: AddrLike): number | bigint {
  return alignUp(addr, PAGE_SIZE_4K);
}

/** The offset of `addr` within its 4 KiB page (always a number below 4096). Upstream `align_offset_4k`. */
export function alignOffset4K(addr: AddrLike): number {
  return alignOffset(addr, PAGE_SIZE_4K) as number;
}

/** Whether `addr` is on a 4 KiB page boundary. Upstream `is_aligned_4k`. */
export function isAligned4K(addr: AddrLike): boolean {
  return alignOffset(addr, PAGE_SIZE_4K) === 0;
}
