/**
 * Page iterators: every page-aligned address in `[start, end)`, upstream's
 * `PageIter` / `DynPageIter`.
 *
 * Like upstream, making one fails unless the page size is a power of two and
 * both ends are aligned to it; failure is `undefined` (upstream's `None`). A
 * value that is not an address or size at all (1.5, -1, 2^64) throws
 * `AddressError`. The iterator steps while `start < end`, so `start > end`
 * yields nothing. It yields canonical addresses: numbers up to 2^53-1, bigints
 * beyond, up to `2^64 - pageSize`.
 *
 * @module
 */

import { type AddrLike, type AnyAddr, fromBigUnchecked, toAddrValue } from './addr.js';
import { isAligned, isPowerOfTwo } from './align.js';
import { PAGE_SIZE_1G, PAGE_SIZE_2M, PAGE_SIZE_4K } from './constants.js';

/** A one-shot iterator over page addresses of type `A` (use it in `for…of` or spread it). */
export type PageIter<A> = Generator<A, undefined, unknown>;

function* steps<A>(
  cur: number | bigint,
  end: number | bigint,
  step: number | bigint,
): Generator<A, undefined, unknown> {
  if (typeof step === 'number') {
    while (typeof cur === 'number' && cur < end) {
      yield cur as A;
      const next = cur + step;
      cur = next <= Number.MAX_SAFE_INTEGER ? next : BigInt(cur) + BigInt(step);
    }
  }
  // From here on every address is above 2^53-1, so the bigint is already canonical.
  let c = BigInt(cur);
  const e = BigInt(end);
  const s = BigInt(step);
  while (c < e) {
    yield fromBigUnchecked(c) as A;
    c += s;
  }
  return undefined;
}

/**
 * Iterates the pages of `pageSize` bytes in `[start, end)`, or `undefined`
 * unless `pageSize` is a power of two and both ends are aligned to it. Keeps
 * the brand. Upstream `DynPageIter::new`.
 */
export function dynPageIter<A extends AnyAddr>(start: A, end: A, pageSize: AddrLike): PageIter<A> | undefined;
export function dynPageIter(start: AddrLike, end: AddrLike, pageSize: AddrLike): PageIter<number | bigint> | undefined;
export function dynPageIter(start: AddrLike, end: AddrLike, pageSize: AddrLike): PageIter<number | bigint> | undefined {
  const s = toAddrValue(start, 'page iterator start');
  const e = toAddrValue(end, 'page iterator end');
  const size = toAddrValue(pageSize, 'page size');
  if (!isPowerOfTwo(size) || !isAligned(s, size) || !isAligned(e, size)) return undefined;
  return steps(s, e, size);
}

/** Iterates the 4 KiB pages in `[start, end)`, or `undefined` unless both ends are 4 KiB-aligned. Upstream `PageIter4K::new`. */
export function pageIter4K<A extends AnyAddr>(start: A, end: A): PageIter<A> | undefined;
export function pageIter4K(start: AddrLike, end: AddrLike): PageIter<number | bigint> | undefined;
export function pageIter4K(start: AddrLike, end: AddrLike): PageIter<number | bigint> | undefined {
  return dynPageIter(start, end, PAGE_SIZE_4K);
}

/** Iterates the 2 MiB pages in `[start, end)`, or `undefined` unless both ends are 2 MiB-aligned. Upstream `PageIter2M::new`. */
export function pageIter2M<A extends AnyAddr>(start: A, end: A): PageIter<A> | undefined;
export function pageIter2M(start: AddrLike, end: AddrLike): PageIter<number | bigint> | undefined;
export function pageIter2M(start: AddrLike, end: AddrLike): PageIter<number | bigint> | undefined {
  return dynPageIter(start, end, PAGE_SIZE_2M);
}

/** Iterates the 1 GiB pages in `[start, end)`, or `undefined` unless both ends are 1 GiB-aligned. Upstream `PageIter1G::new`. */
export function pageIter1G<A extends AnyAddr>(start: A, end: A): PageIter<A> | undefined;
export function pageIter1G(start: AddrLike, end: AddrLike): PageIter<number | bigint> | undefined;
export function pageIter1G(start: AddrLike, end: AddrLike): PageIter<number | bigint> | undefined {
  return dynPageIter(start, end, PAGE_SIZE_1G);
}
