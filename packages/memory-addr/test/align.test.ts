import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AddressError,
  alignDown,
  alignDown4K,
  alignOffset,
  alignOffset4K,
  alignUp,
  alignUp4K,
  isAligned,
  isAligned4K,
  isPowerOfTwo,
  PAGE_SIZE_1G,
  PAGE_SIZE_2M,
  PAGE_SIZE_4K,
  type PhysAddr,
  pa,
  toAlignment,
  type VirtAddr,
  va,
} from '../src/index.js';
import { expectCanon, MAX, model, NOT_ADDRESSES, pow2Input, SAFE, u64Input } from './model.js';

describe('constants', () => {
  it('match upstream', () => {
    expect(PAGE_SIZE_4K).toBe(0x1000);
    expect(PAGE_SIZE_2M).toBe(0x20_0000);
    expect(PAGE_SIZE_1G).toBe(0x4000_0000);
  });
});

describe('alignment', () => {
  it('works on small numbers', () => {
    expect(alignDown(0x1234, 0x1000)).toBe(0x1000);
    expect(alignUp(0x1234, 0x1000)).toBe(0x2000);
    expect(alignUp(0x2000, 0x1000)).toBe(0x2000);
    expect(alignOffset(0x1234, 0x1000)).toBe(0x234);
    expect(isAligned(0x2000, 0x1000)).toBe(true);
    expect(isAligned(0x2001, 0x1000)).toBe(false);
    expect(alignDown(0, 1)).toBe(0);
    expect(alignUp(0, 1 << 30)).toBe(0);
    expect(alignUp(7, 1)).toBe(7);
  });

  it('works at the edges', () => {
    expect(alignUp(0xffff_ffff, 0x1000)).toBe(2 ** 32);
    expect(alignDown(2 ** 32, 0x1000)).toBe(2 ** 32);
    expect(alignUp(2 ** 47 - 1, PAGE_SIZE_1G)).toBe(2 ** 47);
    expect(alignUp(2 ** 52 - 1, 2 ** 52)).toBe(2 ** 52);
    expect(alignDown(Number.MAX_SAFE_INTEGER, 0x1000)).toBe(2 ** 53 - 0x1000);
    // Crossing 2^53 turns the number into a bigint.
    expect(alignUp(Number.MAX_SAFE_INTEGER, 0x1000)).toBe(1n << 53n);
    expect(alignUp(Number.MAX_SAFE_INTEGER, 2)).toBe(1n << 53n);
    expect(alignDown(SAFE + 1n, 1n << 53n)).toBe(1n << 53n);
    // Coming back below 2^53 turns the bigint into a number.
    expect(alignDown(SAFE + 2n, 1n << 54n)).toBe(0);
    expect(alignOffset(SAFE + 2n, 1n << 52n)).toBe(1);
    expect(alignDown((1n << 53n) + 5n, 1n << 53n)).toBe(1n << 53n);
    expect(alignDown(1n << 63n, 1n << 63n)).toBe(1n << 63n);
    expect(alignDown(MAX, 0x1000)).toBe(MAX - 0xfffn);
    expect(alignDown(MAX, 1n << 63n)).toBe(1n << 63n);
    expect(alignOffset(MAX, 1n << 63n)).toBe((1n << 63n) - 1n);
    expect(alignOffset(MAX, 1n << 53n)).toBe(Number.MAX_SAFE_INTEGER);
    expect(alignUp(MAX - 0xfffn, 0x1000)).toBe(MAX - 0xfffn);
    expect(alignUp(MAX, 1)).toBe(MAX);
    // A number address with a bigint alignment.
    expect(alignUp(1, 1n << 63n)).toBe(1n << 63n);
    expect(alignDown(12345, 1n << 60n)).toBe(0);
    expect(alignOffset(12345, 1n << 60n)).toBe(12345);
    // A bigint alignment that is safe is taken as a number.
    expect(alignDown(0x1234n, 0x1000n)).toBe(0x1000);
  });

  it('throws when rounding up passes 2^64-1 (upstream wraps)', () => {
    expect(() => alignUp(MAX, 0x1000)).toThrow(AddressError);
    expect(() => alignUp(MAX - 0xffen, 0x1000)).toThrow(/passes 2\^64-1/);
    expect(() => alignUp((1n << 63n) + 1n, 1n << 63n)).toThrow(AddressError);
    expect(() => alignUp4K(MAX)).toThrow(AddressError);
  });

  it.each([0, 3, 6, 0x1001, 2 ** 52 + 2, 0n, 3n, 1n << 64n, (1n << 63n) + 1n])('rejects the alignment %s', (al) => {
    expect(() => alignDown(0x1000, al)).toThrow(/not a power of two/);
    expect(() => alignUp(0x1000, al)).toThrow(AddressError);
    expect(() => alignOffset(0x1000, al)).toThrow(AddressError);
    expect(() => isAligned(0x1000, al)).toThrow(AddressError);
    expect(isPowerOfTwo(al)).toBe(false);
  });

  it.each([1.5, -1, -4096, Number.NaN, 2 ** 53, Number.POSITIVE_INFINITY, -1n])('rejects the alignment %s', (al) => {
    expect(() => alignDown(0x1000, al)).toThrow(AddressError);
    expect(() => toAlignment(al)).toThrow(AddressError);
    expect(isPowerOfTwo(al)).toBe(false);
  });

  it.each(NOT_ADDRESSES)('rejects the address %s', (a) => {
    expect(() => alignDown(a, 0x1000)).toThrow(AddressError);
    expect(() => alignUp(a, 0x1000)).toThrow(AddressError);
    expect(() => alignOffset(a, 0x1000)).toThrow(AddressError);
    expect(() => isAligned(a, 0x1000)).toThrow(AddressError);
    expect(() => alignDown4K(a)).toThrow(AddressError);
    expect(() => alignUp4K(a)).toThrow(AddressError);
    expect(() => alignOffset4K(a)).toThrow(AddressError);
    expect(() => isAligned4K(a)).toThrow(AddressError);
  });

  it('accepts every power of two up to 2^63', () => {
    for (let k = 0; k <= 63; k++) {
      const v = 1n << BigInt(k);
      expect(isPowerOfTwo(v)).toBe(true);
      expect(toAlignment(v)).toBe(k <= 52 ? 2 ** k : v);
      if (k <= 52) expect(isPowerOfTwo(2 ** k)).toBe(true);
    }
  });

  it('has 4K forms', () => {
    expect(alignDown4K(0x1fff)).toBe(0x1000);
    expect(alignUp4K(0x1001)).toBe(0x2000);
    expect(alignOffset4K(0x1fff)).toBe(0xfff);
    expect(alignOffset4K(MAX)).toBe(0xfff);
    expect(isAligned4K(0x3000)).toBe(true);
    expect(isAligned4K(0x3008)).toBe(false);
    expect(alignDown4K(0xffff_ffff_8000_0fffn)).toBe(0xffff_ffff_8000_0000n);
  });

  it('keeps the brand', () => {
    const p: PhysAddr = alignDown(pa(0x1234), 0x1000);
    const v: VirtAddr = alignUp4K(va(0x1234));
    // @ts-expect-error a plain value stays plain
    const w: VirtAddr = alignDown(0x1234, 0x1000);
    expect([p, v, w]).toEqual([0x1000, 0x2000, 0x1000]);
  });

  it('matches the bigint model over the whole space (property)', () => {
    fc.assert(
      fc.property(u64Input, pow2Input, ([a, ai], [al, ali]) => {
        expectCanon(alignDown(ai, ali), model.alignDown(a, al));
        expectCanon(alignOffset(ai, ali), model.alignOffset(a, al));
        expect(isAligned(ai, ali)).toBe(a % al === 0n);
        const up = model.alignUp(a, al);
        if (up <= MAX) expectCanon(alignUp(ai, ali), up);
        else expect(() => alignUp(ai, ali)).toThrow(AddressError);
        expectCanon(alignDown4K(ai), model.alignDown(a, 0x1000n));
        expect(alignOffset4K(ai)).toBe(Number(a % 0x1000n));
        expect(isAligned4K(ai)).toBe(a % 0x1000n === 0n);
        const up4 = model.alignUp(a, 0x1000n);
        if (up4 <= MAX) expectCanon(alignUp4K(ai), up4);
        else expect(() => alignUp4K(ai)).toThrow(AddressError);
      }),
      { numRuns: 400 },
    );
  });

  it('rejects exactly the non-powers of two (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX }), (x) => {
        const pow2 = x > 0n && x <= 1n << 63n && (x & (x - 1n)) === 0n;
        expect(isPowerOfTwo(x)).toBe(pow2);
        if (x <= SAFE) expect(isPowerOfTwo(Number(x))).toBe(pow2);
      }),
    );
    fc.assert(
      fc.property(fc.maxSafeNat(), (x) => {
        expect(isPowerOfTwo(x)).toBe(x > 0 && (BigInt(x) & (BigInt(x) - 1n)) === 0n);
      }),
    );
  });
});
