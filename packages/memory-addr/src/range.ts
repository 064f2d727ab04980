/**
 * Half-open address ranges `[start, end)`, upstream's `AddrRange`.
 *
 * A range always has `start <= end` (the constructors check it); it is empty
 * when `start === end`. Both ends are canonical, so they compare with `===`,
 * and `<` is exact between a number and a bigint.
 *
 * @module
 */

import { hexOf } from './_util.js';
import { AddressError, type AddrLike, type AnyAddr, type PhysAddr, toAddrValue, type VirtAddr } from './addr.js';
import { checkedAdd, subAddr } from './arith.js';
import { type FormatOptions, formatAddr } from './format.js';

/**
 * The addresses `start <= x < end` of one kind. `A` is the address type
 * (`VirtAddr`, `PhysAddr`, your own `Addr<K>`, or plain `number | bigint`);
 * `kind` is the prefix `toString` prints (`'VA'`, `'PA'`, or none).
 *
 * The constructor does not infer `A` (a plain literal would give a literal
 * type): use {@link vaRange}, {@link paRange} or {@link addrRange}, which keep
 * the brand of their arguments, or pass the type argument.
 */
export class AddrRange<A extends AddrLike = number | bigint> {
  /** First address in the range. */
  readonly start: A;
  /** First address after the range. */
  readonly end: A;
  /** Prefix for `toString` (`'VA'`, `'PA'`, a user kind), or `undefined` for bare hex. */
  readonly kind: string | undefined;

  /** Makes `[start, end)`; throws `AddressError` if `start > end` or either end is not an address. Upstream `AddrRange::new`. */
  // `[A][A extends unknown ? 0 : never]` is `A` that TypeScript does not infer from: `NoInfer<A>` before TS 5.4.
  constructor(start: [A][A extends unknown ? 0 : never], end: [A][A extends unknown ? 0 : never], kind?: string) {
    const s = toAddrValue(start, 'AddrRange start');
    const e = toAddrValue(end, 'AddrRange end');
    if (s > e) throw new AddressError(`AddrRange: start ${hexOf(s)} is above end ${hexOf(e)}`);
    this.start = s as A;
    this.end = e as A;
    this.kind = kind;
  }

  /** Like the constructor, but `undefined` when `start > end`. Upstream `AddrRange::try_new`. */
  static tryNew<A extends AnyAddr>(start: A, end: A, kind?: string): AddrRange<A> | undefined;
  static tryNew(start: AddrLike, end: AddrLike, kind?: string): AddrRange | undefined;
  static tryNew(start: AddrLike, end: AddrLike, kind?: string): AddrRange | undefined {
    const s = toAddrValue(start, 'AddrRange start');
    const e = toAddrValue(end, 'AddrRange end');
    return s > e ? undefined : new AddrRange(s, e, kind);
  }

  /** `[start, start + size)`; throws `AddressError` if the end would pass 2^64-1. Upstream `AddrRange::from_start_size`. */
  static fromStartSize<A extends AnyAddr>(start: A, size: AddrLike, kind?: string): AddrRange<A>;
  static fromStartSize(start: AddrLike, size: AddrLike, kind?: string): AddrRange;
  static fromStartSize(start: AddrLike, size: AddrLike, kind?: string): AddrRange {
    const r = AddrRange.tryFromStartSize(start, size, kind);
    if (r === undefined) {
      throw new AddressError(`AddrRange.fromStartSize: ${hexOf(start)} + ${hexOf(size)} passes 2^64-1`);
    }
    return r;
  }

  /** `[start, start + size)`, or `undefined` if the end would pass 2^64-1. Upstream `AddrRange::try_from_start_size`. */
  static tryFromStartSize<A extends AnyAddr>(start: A, size: AddrLike, kind?: string): AddrRange<A> | undefined;
  static tryFromStartSize(start: AddrLike, size: AddrLike, kind?: string): AddrRange | undefined;
  static tryFromStartSize(start: AddrLike, size: AddrLike, kind?: string): AddrRange | undefined {
    const end = checkedAdd(start, size);
    return end === undefined ? undefined : new AddrRange(start, end, kind);
  }

  /** Whether the range holds no address (`start === end`). */
  get isEmpty(): boolean {
    return this.start >= this.end;
  }

  /** Number of addresses in the range, `end - start`, canonical (a number when safe). */
  get size(): number | bigint {
    return subAddr(this.end, this.start);
  }

  /** Whether `addr` lies in `[start, end)`. */
  contains(addr: A): boolean {
    const a = toAddrValue(addr, 'AddrRange.contains');
    return this.start <= a && a < this.end;
  }

  /** Whether `other` lies within this range (`start <= other.start && other.end <= end`, as upstream). */
  containsRange(other: AddrRange<A>): boolean {
    return this.start <= other.start && other.end <= this.end;
  }

  /** Whether this range lies within `other`. */
  containedIn(other: AddrRange<A>): boolean {
    return other.containsRange(this);
  }

  /**
   * Whether the ranges overlap: `start < other.end && other.start < end`, as
   * upstream. So an empty range strictly inside another counts as overlapping it.
   */
  overlaps(other: AddrRange<A>): boolean {
    return this.start < other.end && other.start < this.end;
  }

  /** Whether both ranges have the same ends (the kind is not compared). */
  equals(other: AddrRange<A>): boolean {
    return this.start === other.start && this.end === other.end;
  }

  /** Upstream's `Debug` form, `VA:0x1000..VA:0x2000`, or `0x1000..0x2000` without a kind; `upper` for `UpperHex`. */
  toString(options?: FormatOptions): string {
    return `${formatAddr(this.start, this.kind, options)}..${formatAddr(this.end, this.kind, options)}`;
  }
}

/** A range of virtual addresses. Upstream `VirtAddrRange`. */
export type VirtAddrRange = AddrRange<VirtAddr>;

/** A range of physical addresses. Upstream `PhysAddrRange`. */
export type PhysAddrRange = AddrRange<PhysAddr>;

/**
 * `[start, end)` keeping the brand of the arguments; throws `AddressError` if
 * `start > end`. Upstream `addr_range!(start..end)`.
 */
export function addrRange<A extends AnyAddr>(start: A, end: A, kind?: string): AddrRange<A>;
export function addrRange(start: AddrLike, end: AddrLike, kind?: string): AddrRange;
export function addrRange(start: AddrLike, end: AddrLike, kind?: string): AddrRange {
  return new AddrRange(start, end, kind);
}

/** `[start, end)` of virtual addresses, printed `VA:…`; throws `AddressError` if `start > end`. Upstream `va_range!`. */
export function vaRange(start: AddrLike, end: AddrLike): VirtAddrRange {
  return new AddrRange<VirtAddr>(start as VirtAddr, end as VirtAddr, 'VA');
}

/** `[start, end)` of physical addresses, printed `PA:…`; throws `AddressError` if `start > end`. Upstream `pa_range!`. */
export function paRange(start: AddrLike, end: AddrLike): PhysAddrRange {
  return new AddrRange<PhysAddr>(start as PhysAddr, end as PhysAddr, 'PA');
}
