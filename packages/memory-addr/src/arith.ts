/**
 * Address arithmetic in the 64-bit unsigned space, in upstream's four flavours:
 * checked-and-throwing (`addrAdd`, like Rust's panicking `add`), wrapping
 * (modulo 2^64), overflowing (`[value, overflowed]`) and checked (`undefined`
 * on overflow). Every result is canonical and keeps the brand of the address.
 *
 * Counts (`n`) are unsigned 64-bit values like addresses; deltas are signed
 * 64-bit values (-2^63 .. 2^63-1, numbers must be safe integers). A value of the
 * wrong shape always throws `AddressError`, even in the wrapping and checked forms.
 *
 * @module
 */

import { canonSigned, describe, hexOf, I64_MAX, I64_MIN } from './_util.js';
import { ADDR_MAX, AddressError, type AddrLike, type AnyAddr, fromBigUnchecked, toAddrValue } from './addr.js';

type Value = number | bigint;

/** Exact sum of two canonical integers of either sign, canonical. */
function sum(a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a + b;
    // If the true sum is a safe integer the double is exact; if not, the double is not safe either.
    if (Number.isSafeInteger(s)) return s + 0;
    return BigInt(a) + BigInt(b);
  }
  return canonSigned(BigInt(a) + BigInt(b));
}

/** Exact difference `a - b` of two canonical integers, canonical. */
function diff(a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') {
    const d = a - b;
    if (Number.isSafeInteger(d)) return d + 0;
    return BigInt(a) - BigInt(b);
  }
  return canonSigned(BigInt(a) - BigInt(b));
}

/** Whether an exact canonical integer lies in 0 .. 2^64-1. */
function inSpace(x: Value): boolean {
  return typeof x === 'number' ? x >= 0 : x >= 0n && x <= ADDR_MAX;
}

/** An exact canonical integer reduced modulo 2^64, canonical. */
function wrap(x: Value): Value {
  if (typeof x === 'number' && x >= 0) return x;
  return fromBigUnchecked(BigInt.asUintN(64, BigInt(x)));
}

/** Checks a signed 64-bit delta and returns it canonical. */
function toDelta(d: AddrLike, what: string): Value {
  if (typeof d === 'number') {
    if (Number.isSafeInteger(d)) return d + 0;
  } else if (typeof d === 'bigint') {
    if (d >= I64_MIN && d <= I64_MAX) return canonSigned(d);
  } else {
    throw new AddressError(`${what}: expected a number or bigint, got ${typeof d}`);
  }
  throw new AddressError(`${what}: ${describe(d)} is not a signed 64-bit integer (a number must be a safe integer)`);
}

function overflow(what: string, a: Value, op: string, b: Value): AddressError {
  return new AddressError(`${what}: ${hexOf(a)} ${op} ${hexOf(b)} is outside 0..2^64-1`);
}

/** `addr + n`; throws `AddressError` past 2^64-1. Upstream `MemoryAddr::add` (which panics). */
export function addrAdd<A extends AnyAddr>(addr: A, n: AddrLike): A;
export function addrAdd(addr: AddrLike, n: AddrLike): number | bigint;
export function addrAdd(addr: AddrLike, n: AddrLike): number | bigint {
  const a = toAddrValue(addr, 'addrAdd');
  const b = toAddrValue(n, 'addrAdd count');
  const s = sum(a, b);
  if (!inSpace(s)) throw overflow('addrAdd', a, '+', b);
  return s;
}

/** `addr - n`; throws `AddressError` below 0. Upstream `MemoryAddr::sub` (which panics). */
export function addrSub<A extends AnyAddr>(addr: A, n: AddrLike): A;
export function addrSub(addr: AddrLike, n: AddrLike): number | bigint;
export function addrSub(addr: AddrLike, n: AddrLike): number | bigint {
  const a = toAddrValue(addr, 'addrSub');
  const b = toAddrValue(n, 'addrSub count');
  const d = diff(a, b);
  if (!inSpace(d)) throw overflow('addrSub', a, '-', b);
  return d;
}

/** `addr + delta` for a signed delta; throws `AddressError` outside 0..2^64-1. Upstream `MemoryAddr::offset`. */
export function addrOffset<A extends AnyAddr>(addr: A, delta: AddrLike): A;
export function addrOffset(addr: AddrLike, delta: AddrLike): number | bigint;
export function addrOffset(addr: AddrLike, delta: AddrLike): number | bigint {
  const a = toAddrValue(addr, 'addrOffset');
  const d = toDelta(delta, 'addrOffset delta');
  const s = sum(a, d);
  if (!inSpace(s)) throw overflow('addrOffset', a, '+', d);
  return s;
}

/** `addr + delta` for a signed delta, modulo 2^64. Upstream `MemoryAddr::wrapping_offset`. */
export function wrappingOffset<A extends AnyAddr>(addr: A, delta: AddrLike): A;
export function wrappingOffset(addr: AddrLike, delta: AddrLike): number | bigint;
export function wrappingOffset(addr: AddrLike, delta: AddrLike): number | bigint {
  return wrap(sum(toAddrValue(addr, 'wrappingOffset'), toDelta(delta, 'wrappingOffset delta')));
}

/**
 * The signed distance `addr - base`, canonical (a number when it is a safe
 * integer). Throws `AddressError` when it does not fit a signed 64-bit integer.
 * Upstream `MemoryAddr::offset_from`.
 */
export function offsetFrom(addr: AddrLike, base: AddrLike): number | bigint {
  const a = toAddrValue(addr, 'offsetFrom');
  const b = toAddrValue(base, 'offsetFrom base');
  const d = diff(a, b);
  if (typeof d === 'bigint' && (d < I64_MIN || d > I64_MAX)) {
    throw new AddressError(`offsetFrom: ${hexOf(a)} - ${hexOf(b)} does not fit a signed 64-bit offset`);
  }
  return d;
}

/** The unsigned distance `a - b` (a size, unbranded); throws `AddressError` if `b > a`. Upstream `MemoryAddr::sub_addr`. */
export function subAddr(a: AddrLike, b: AddrLike): number | bigint {
  const x = toAddrValue(a, 'subAddr');
  const y = toAddrValue(b, 'subAddr rhs');
  const d = diff(x, y);
  if (!inSpace(d)) throw overflow('subAddr', x, '-', y);
  return d;
}

/** `addr + n` modulo 2^64. Upstream `MemoryAddr::wrapping_add`. */
export function wrappingAdd<A extends AnyAddr>(addr: A, n: AddrLike): A;
export function wrappingAdd(addr: AddrLike, n: AddrLike): number | bigint;
export function wrappingAdd(addr: AddrLike, n: AddrLike): number | bigint {
  return wrap(sum(toAddrValue(addr, 'wrappingAdd'), toAddrValue(n, 'wrappingAdd count')));
}

/** `addr - n` modulo 2^64. Upstream `MemoryAddr::wrapping_sub`. */
export function wrappingSub<A extends AnyAddr>(addr: A, n: AddrLike): A;
export function wrappingSub(addr: AddrLike, n: AddrLike): number | bigint;
export function wrappingSub(addr: AddrLike, n: AddrLike): number | bigint {
  return wrap(diff(toAddrValue(addr, 'wrappingSub'), toAddrValue(n, 'wrappingSub count')));
}

/** `a - b` modulo 2^64, as an unbranded size. Upstream `MemoryAddr::wrapping_sub_addr`. */
export function wrappingSubAddr(a: AddrLike, b: AddrLike): number | bigint {
  return wrap(diff(toAddrValue(a, 'wrappingSubAddr'), toAddrValue(b, 'wrappingSubAddr rhs')));
}

/** `addr + n` modulo 2^64 and whether it wrapped. Upstream `MemoryAddr::overflowing_add`. */
export function overflowingAdd<A extends AnyAddr>(addr: A, n: AddrLike): [value: A, overflowed: boolean];
export function overflowingAdd(addr: AddrLike, n: AddrLike): [value: number | bigint, overflowed: boolean];
export function overflowingAdd(addr: AddrLike, n: AddrLike): [value: number | bigint, overflowed: boolean] {
  const s = sum(toAddrValue(addr, 'overflowingAdd'), toAddrValue(n, 'overflowingAdd count'));
  return [wrap(s), !inSpace(s)];
}

/** `addr - n` modulo 2^64 and whether it wrapped. Upstream `MemoryAddr::overflowing_sub`. */
export function overflowingSub<A extends AnyAddr>(addr: A, n: AddrLike): [value: A, overflowed: boolean];
export function overflowingSub(addr: AddrLike, n: AddrLike): [value: number | bigint, overflowed: boolean];
export function overflowingSub(addr: AddrLike, n: AddrLike): [value: number | bigint, overflowed: boolean] {
  const d = diff(toAddrValue(addr, 'overflowingSub'), toAddrValue(n, 'overflowingSub count'));
  return [wrap(d), !inSpace(d)];
}

/** `a - b` modulo 2^64 (an unbranded size) and whether it wrapped. Upstream `MemoryAddr::overflowing_sub_addr`. */
export function overflowingSubAddr(a: AddrLike, b: AddrLike): [value: number | bigint, overflowed: boolean] {
  const d = diff(toAddrValue(a, 'overflowingSubAddr'), toAddrValue(b, 'overflowingSubAddr rhs'));
  return [wrap(d), !inSpace(d)];
}

/** `addr + n`, or `undefined` past 2^64-1. Upstream `MemoryAddr::checked_add`. */
export function checkedAdd<A extends AnyAddr>(addr: A, n: AddrLike): A | undefined;
export function checkedAdd(addr: AddrLike, n: AddrLike): number | bigint | undefined;
export function checkedAdd(addr: AddrLike, n: AddrLike): number | bigint | undefined {
  const s = sum(toAddrValue(addr, 'checkedAdd'), toAddrValue(n, 'checkedAdd count'));
  return inSpace(s) ? s : undefined;
}

/** `addr - n`, or `undefined` below 0. Upstream `MemoryAddr::checked_sub`. */
export function checkedSub<A extends AnyAddr>(addr: A, n: AddrLike): A | undefined;
export function checkedSub(addr: AddrLike, n: AddrLike): number | bigint | undefined;
export function checkedSub(addr: AddrLike, n: AddrLike): number | bigint | undefined {
  const d = diff(toAddrValue(addr, 'checkedSub'), toAddrValue(n, 'checkedSub count'));
  return inSpace(d) ? d : undefined;
}

/** `a - b` as an unbranded size, or `undefined` if `b > a`. Upstream `MemoryAddr::checked_sub_addr`. */
export function checkedSubAddr(a: AddrLike, b: AddrLike): number | bigint | undefined {
  const d = diff(toAddrValue(a, 'checkedSubAddr'), toAddrValue(b, 'checkedSubAddr rhs'));
  return inSpace(d) ? d : undefined;
}
