import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AddressError,
  AddrRange,
  addrRange,
  type PhysAddrRange,
  paRange,
  type VirtAddr,
  type VirtAddrRange,
  va,
  vaRange,
} from '../src/index.js';
import { canon, MAX, NOT_ADDRESSES, SAFE, u64, u64Input } from './model.js';

describe('AddrRange', () => {
  it('is half-open and canonical', () => {
    const r = vaRange(0x1000n, 0x3000);
    expect(r.start).toBe(0x1000);
    expect(r.end).toBe(0x3000);
    expect(r.kind).toBe('VA');
    expect(r.size).toBe(0x2000);
    expect(r.isEmpty).toBe(false);
    expect(r.contains(va(0x1000))).toBe(true);
    expect(r.contains(va(0x2fff))).toBe(true);
    expect(r.contains(va(0x3000))).toBe(false);
    expect(r.contains(va(0xfff))).toBe(false);
  });

  it('throws when start > end, tryNew gives undefined', () => {
    expect(() => vaRange(2, 1)).toThrow(/start 0x2 is above end 0x1/);
    expect(() => paRange(MAX, 0)).toThrow(AddressError);
    expect(() => new AddrRange(1, 0)).toThrow(AddressError);
    expect(AddrRange.tryNew(2, 1)).toBeUndefined();
    expect(AddrRange.tryNew(1, 1)?.isEmpty).toBe(true);
    expect(AddrRange.tryNew(va(1), va(2))?.size).toBe(1);
  });

  it.each(NOT_ADDRESSES)('rejects the bound %s', (x) => {
    expect(() => vaRange(x, x)).toThrow(AddressError);
    expect(() => AddrRange.tryNew(0, x)).toThrow(AddressError);
    expect(() => AddrRange.fromStartSize(x, 0)).toThrow(AddressError);
    expect(() => AddrRange.tryFromStartSize(0, x)).toThrow(AddressError);
    expect(() => addrRange(0, 1).contains(x)).toThrow(AddressError);
  });

  it('spans the edges', () => {
    const all = new AddrRange(0, MAX);
    expect(all.size).toBe(MAX);
    expect(all.contains(MAX)).toBe(false);
    expect(all.contains(MAX - 1n)).toBe(true);
    const mid = addrRange(SAFE, SAFE + 2n);
    expect(mid.start).toBe(Number.MAX_SAFE_INTEGER);
    expect(mid.size).toBe(2);
    expect(mid.contains(SAFE + 1n)).toBe(true);
    expect(mid.contains(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(addrRange(0, SAFE + 1n).size).toBe(SAFE + 1n);
    expect(addrRange(2 ** 32 - 1, 2 ** 32).size).toBe(1);
  });

  it('builds from start and size', () => {
    const r = AddrRange.fromStartSize(va(0xffff_ffff_8000_0000n), 0x4000_0000, 'VA');
    expect(r.end).toBe(0xffff_ffff_c000_0000n);
    expect(AddrRange.fromStartSize(MAX, 0).isEmpty).toBe(true);
    expect(AddrRange.fromStartSize(1, MAX - 1n).end).toBe(MAX);
    expect(() => AddrRange.fromStartSize(1, MAX)).toThrow(/passes 2\^64-1/);
    expect(AddrRange.tryFromStartSize(1, MAX)).toBeUndefined();
    expect(AddrRange.tryFromStartSize(SAFE, 1)?.end).toBe(SAFE + 1n);
  });

  it('relates ranges as upstream does', () => {
    const a = addrRange(0x1000, 0x3000);
    const b = addrRange(0x2000, 0x4000);
    const c = addrRange(0x3000, 0x4000);
    const inner = addrRange(0x1800, 0x2000);
    expect(a.overlaps(b)).toBe(true);
    expect(a.overlaps(c)).toBe(false);
    expect(a.containsRange(inner)).toBe(true);
    expect(inner.containedIn(a)).toBe(true);
    expect(a.containsRange(b)).toBe(false);
    expect(a.containsRange(a)).toBe(true);
    // Empty ranges follow upstream's formulas: one strictly inside another overlaps it.
    const empty = addrRange(0x2000, 0x2000);
    expect(a.containsRange(empty)).toBe(true);
    expect(a.overlaps(empty)).toBe(true);
    expect(a.overlaps(addrRange(0x1000, 0x1000))).toBe(false);
    expect(a.overlaps(addrRange(0x3000, 0x3000))).toBe(false);
    expect(empty.overlaps(empty)).toBe(false);
    expect(a.equals(addrRange(0x1000n, 0x3000n))).toBe(true);
    expect(a.equals(b)).toBe(false);
  });

  it('prints like upstream', () => {
    expect(vaRange(0x1000, 0x2000).toString()).toBe('VA:0x1000..VA:0x2000');
    expect(`${paRange(0, 0xabc000)}`).toBe('PA:0x0..PA:0xabc000');
    expect(paRange(0, 0xabc000).toString({ upper: true })).toBe('PA:0x0..PA:0xABC000');
    expect(vaRange(0xffff_ffff_8000_0000n, MAX).toString()).toBe('VA:0xffffffff80000000..VA:0xffffffffffffffff');
    expect(addrRange(1, 2).toString()).toBe('0x1..0x2');
    expect(addrRange(1, 2, 'GPA').toString()).toBe('GPA:0x1..GPA:0x2');
  });

  it('keeps the brand in the types', () => {
    const v: VirtAddrRange = vaRange(0, 0x1000);
    const p: PhysAddrRange = paRange(0, 0x1000);
    const kept: VirtAddrRange = addrRange(va(0), va(1));
    const alsoKept: AddrRange<VirtAddr> | undefined = AddrRange.tryNew(va(0), va(1));
    // @ts-expect-error a physical range is not a virtual one
    const bad: VirtAddrRange = p;
    // @ts-expect-error contains() wants the range's own kind
    v.contains(1);
    expect([kept.size, alsoKept?.size, bad.size]).toEqual([1, 1, 0x1000]);
  });
});

describe('AddrRange against the bigint model (property)', () => {
  const range = fc
    .tuple(u64Input, u64Input)
    .map(([[a, ai], [b, bi]]) => (a <= b ? { s: a, e: b, si: ai, ei: bi } : { s: b, e: a, si: bi, ei: ai }));

  it('construction, size and contains', () => {
    fc.assert(
      fc.property(u64Input, u64Input, u64, ([a, ai], [b, bi], x) => {
        const r = AddrRange.tryNew(ai, bi);
        if (a > b) {
          expect(r).toBeUndefined();
          return;
        }
        expect(r).toBeDefined();
        const rr = r!;
        expect(rr.start).toBe(canon(a));
        expect(rr.end).toBe(canon(b));
        expect(rr.size).toBe(canon(b - a));
        expect(rr.isEmpty).toBe(a === b);
        expect(rr.contains(canon(x))).toBe(a <= x && x < b);
        expect(rr.contains(a)).toBe(a < b);
        const fromSize = AddrRange.tryFromStartSize(ai, x);
        expect(fromSize?.end).toBe(a + x <= MAX ? canon(a + x) : undefined);
      }),
      { numRuns: 400 },
    );
  });

  it('containsRange, containedIn and overlaps', () => {
    fc.assert(
      fc.property(range, range, (p, q) => {
        const r1 = addrRange(p.si, p.ei);
        const r2 = addrRange(q.si, q.ei);
        expect(r1.containsRange(r2)).toBe(p.s <= q.s && q.e <= p.e);
        expect(r2.containedIn(r1)).toBe(p.s <= q.s && q.e <= p.e);
        expect(r1.overlaps(r2)).toBe(p.s < q.e && q.s < p.e);
        expect(r1.overlaps(r2)).toBe(r2.overlaps(r1));
        expect(r1.equals(r2)).toBe(p.s === q.s && p.e === q.e);
      }),
      { numRuns: 400 },
    );
  });
});
