/**
 * Address values: exact 64-bit physical and virtual addresses as primitives.
 *
 * Every address has exactly one representation: a `number` when the value is a
 * safe integer (at most 2^53 - 1), a `bigint` only beyond. So `===`, `Map` keys
 * and `Set` membership work, and the common case costs nothing.
 *
 * @module
 */

import { describe } from './_util.js';

declare const addrKind: unique symbol;

/**
 * An address of kind `K` in 0 .. 2^64-1: a number when safe, else a bigint. The
 * brand exists only for the type checker; it keeps kinds apart (a `PhysAddr` is
 * not a `VirtAddr`) while the value stays a plain primitive. Name your own kinds
 * with it, as upstream's `def_usize_addr!` does (e.g. `Addr<'GPA'>`).
 */
export type Addr<K extends string> = (number | bigint) & {
  /** The kind `K`, for the type checker only: no address value has this property at run time. */
  readonly [addrKind]: K;
};

/** Any branded address, whatever its kind: the constraint of functions that keep the brand of their input. */
export type AnyAddr = Addr<string>;

/** A physical address in 0 .. 2^64-1, a number when safe, else a bigint. */
export type PhysAddr = Addr<'PA'>;

/** A virtual address in 0 .. 2^64-1 (a high-half VA is its unsigned 64-bit value), a number when safe, else a bigint. */
export type VirtAddr = Addr<'VA'>;

/** Either kind of address, or a plain number or bigint that is about to become one. */
export type AddrLike = number | bigint;

/** 2^64 - 1, the largest address. */
export const ADDR_MAX = 0xffff_ffff_ffff_ffffn;

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** Thrown for a value that is not an address: not an integer, negative, unsafe as a number, or beyond 2^64-1. */
export class AddressError extends RangeError {
  /** Always `'AddressError'`, so stack traces and logs tell it from other `RangeError`s. */
  override name = 'AddressError';
}

/**
 * Checks that `x` is a 64-bit unsigned integer and returns its canonical form
 * (number when safe, else bigint). `what` names the caller in the error.
 */
export function toAddrValue(x: AddrLike, what = 'address'): number | bigint {
  if (typeof x === 'number') {
    // `+ 0` turns -0 into 0, so a zero address has one representation too.
    if (Number.isSafeInteger(x) && x >= 0) return x + 0;
    throw new AddressError(
      `${what}: ${describe(x)} is not a safe non-negative integer; pass a bigint for values above 2^53-1`,
    );
  }
  if (typeof x === 'bigint') {
    if (x < 0n || x > ADDR_MAX) throw new AddressError(`${what}: ${describe(x)} is outside 0..2^64-1`);
    return x <= SAFE_MAX ? Number(x) : x;
  }
  throw new AddressError(`${what}: expected a number or bigint, got ${typeof x}`);
}

/** Builds a physical address from a number or bigint, rejecting anything that is not an exact 64-bit unsigned value. */
export function pa(x: AddrLike): PhysAddr {
  return toAddrValue(x, 'pa') as PhysAddr;
}

/** Builds a virtual address from a number or bigint, rejecting anything that is not an exact 64-bit unsigned value. */
export function va(x: AddrLike): VirtAddr {
  return toAddrValue(x, 'va') as VirtAddr;
}

/**
 * Makes the constructor of a user-defined address kind (upstream's `def_usize_addr!`),
 * e.g. `const gpa = defineAddr('GPA')`, so values of that kind are checked like `pa`/`va`.
 */
export function defineAddr<K extends string>(kind: K): (x: AddrLike) => Addr<K> {
  return (x) => toAddrValue(x, kind) as Addr<K>;
}

/** The exact value of an address as a bigint. */
export function toBigInt(x: AddrLike): bigint {
  return typeof x === 'bigint' ? x : BigInt(x);
}

/** The value of an address as a number; throws if it is above 2^53-1 (it would round). */
export function toNumber(x: AddrLike): number {
  if (typeof x === 'number') return x;
  if (x >= 0n && x <= SAFE_MAX) return Number(x);
  throw new AddressError(`${describe(x)} does not fit a safe number`);
}

/** Canonical form of an unsigned 64-bit bigint known to be in range (no checks). */
export function fromBigUnchecked(x: bigint): number | bigint {
  return x <= SAFE_MAX ? Number(x) : x;
}

/** High 32 bits of an address (as an unsigned 32-bit number); throws {@link AddressError} for anything that is not one. */
export function hi32(x: AddrLike): number {
  if (typeof x === 'number' && x >= 0 && x <= Number.MAX_SAFE_INTEGER && Math.floor(x) === x)
    return (x / 4294967296) >>> 0;
  split64(x as bigint);
  return splitHi();
}

/** Low 32 bits of an address (as an unsigned 32-bit number); throws {@link AddressError} for anything that is not one. */
export function lo32(x: AddrLike): number {
  if (typeof x === 'number' && x >= 0 && x <= Number.MAX_SAFE_INTEGER && Math.floor(x) === x) return x >>> 0;
  split64(x as bigint);
  return splitLo();
}

// A bigint stored into a BigUint64Array is read back as two 32-bit words with
// no bigint arithmetic (no allocation): several times faster than `>>`/`&`.
const BIG = new BigUint64Array(1);
const WORDS = new Uint32Array(BIG.buffer);
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

/**
 * Splits a bigint address (0 .. 2^64-1) into 32-bit halves, read with
 * {@link splitLo} and {@link splitHi}: the allocation-free way to bring a
 * bigint address into a hot path. Anything else (a negative or too large
 * bigint, a number) throws {@link AddressError}: it would otherwise be taken
 * modulo 2^64 and silently name another address.
 */
export function split64(x: bigint): void {
  if (typeof x !== 'bigint' || x < 0n || x > ADDR_MAX) throw notAddress(x);
  BIG[0] = x;
}

function notAddress(x: unknown): AddressError {
  return new AddressError(
    typeof x === 'bigint' || typeof x === 'number'
      ? `${describe(x)} is not an address (an integer in 0..2^64-1; a number must be a safe integer)`
      : `expected a number or bigint address, got ${typeof x}`,
  );
}

/** Low 32 bits of the value last given to {@link split64}. */
export function splitLo(): number {
  return WORDS[LO];
}

/** High 32 bits of the value last given to {@link split64}. */
export function splitHi(): number {
  return WORDS[1 - LO];
}

/**
 * Rebuilds the canonical value from 32-bit halves. Each half is a 32-bit
 * word as JavaScript's bit operators produce it: an integer in
 * -2^31 .. 2^32-1, read modulo 2^32. Anything else throws {@link AddressError}.
 */
export function fromHalves(hi: number, lo: number): number | bigint {
  if (!isWord(hi) || !isWord(lo)) {
    throw new AddressError(`fromHalves: halves must be 32-bit integers, got ${describe(hi)} and ${describe(lo)}`);
  }
  hi >>>= 0;
  lo >>>= 0;
  // Below 2^53 the double is exact; the high word then has at most 21 bits.
  if (hi < 0x20_0000) return hi * 4294967296 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Whether `x` is a 32-bit word: an integer that `>>> 0` or `| 0` leaves unchanged. */
function isWord(x: number): boolean {
  return typeof x === 'number' && (x >>> 0 === x || (x | 0) === x);
}
