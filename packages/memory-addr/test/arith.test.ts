import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AddressError,
  addrAdd,
  addrOffset,
  addrSub,
  checkedAdd,
  checkedSub,
  checkedSubAddr,
  offsetFrom,
  overflowingAdd,
  overflowingSub,
  overflowingSubAddr,
  type PhysAddr,
  pa,
  subAddr,
  type VirtAddr,
  va,
  wrappingAdd,
  wrappingOffset,
  wrappingSub,
  wrappingSubAddr,
} from '../src/index.js';
import { canon, expectCanon, I64_MAX, I64_MIN, i64Input, MAX, model, NOT_ADDRESSES, SAFE, u64Input } from './model.js';

const SAFE_N = Number.MAX_SAFE_INTEGER;

describe('checked (throwing) arithmetic', () => {
  it('adds and subtracts at the edges', () => {
    expect(addrAdd(0, 0)).toBe(0);
    expect(addrAdd(0xffff_ffff, 1)).toBe(2 ** 32);
    expect(addrAdd(2 ** 47 - 1, 1)).toBe(2 ** 47);
    expect(addrAdd(2 ** 52 - 1, 2 ** 52)).toBe(SAFE_N);
    expect(addrAdd(SAFE_N, 0)).toBe(SAFE_N);
    expect(addrAdd(SAFE_N, 1)).toBe(SAFE + 1n);
    expect(addrAdd(SAFE_N, SAFE_N)).toBe(2n * SAFE);
    expect(addrAdd(1n << 63n, (1n << 63n) - 1n)).toBe(MAX);
    expect(addrAdd(5n, 3n)).toBe(8);
    expect(addrSub(SAFE + 1n, 1)).toBe(SAFE_N);
    expect(addrSub(MAX, MAX)).toBe(0);
    expect(addrSub(2 ** 32, 1)).toBe(0xffff_ffff);
    expect(addrSub(0, 0)).toBe(0);
    expect(Object.is(addrSub(5, 5), 0)).toBe(true);
  });

  it('throws on leaving 0..2^64-1', () => {
    expect(() => addrAdd(MAX, 1)).toThrow(AddressError);
    expect(() => addrAdd(MAX, 1)).toThrow(/addrAdd: 0xffffffffffffffff \+ 0x1 is outside 0\.\.2\^64-1/);
    expect(() => addrAdd(1n << 63n, 1n << 63n)).toThrow(AddressError);
    expect(() => addrSub(0, 1)).toThrow(/addrSub: 0x0 - 0x1/);
    expect(() => addrSub(SAFE_N, MAX)).toThrow(AddressError);
    expect(() => addrOffset(0, -1)).toThrow(AddressError);
    expect(() => addrOffset(MAX, 1)).toThrow(AddressError);
    expect(() => subAddr(1, 2)).toThrow(AddressError);
  });

  it('offsets by a signed delta', () => {
    expect(addrOffset(0x1000, -0x1000)).toBe(0);
    expect(addrOffset(SAFE + 1n, -1)).toBe(SAFE_N);
    expect(addrOffset(SAFE_N, 1n)).toBe(SAFE + 1n);
    expect(addrOffset(MAX, I64_MIN)).toBe((1n << 63n) - 1n);
    expect(addrOffset(0, I64_MAX)).toBe(I64_MAX);
    expect(addrOffset(1n << 63n, -(1n << 63n))).toBe(0);
    expect(() => addrOffset(0, 1n << 63n)).toThrow(/not a signed 64-bit integer/);
    expect(() => addrOffset(0, I64_MIN - 1n)).toThrow(AddressError);
    expect(() => addrOffset(0, 0.5)).toThrow(AddressError);
    expect(() => addrOffset(0, -(2 ** 53))).toThrow(AddressError);
  });

  it('measures signed and unsigned distances', () => {
    expect(offsetFrom(0x1000, 0x3000)).toBe(-0x2000);
    expect(offsetFrom(0, SAFE_N)).toBe(-SAFE_N);
    expect(offsetFrom(0, SAFE + 1n)).toBe(-(SAFE + 1n));
    expect(offsetFrom(MAX, 1n << 63n)).toBe(I64_MAX);
    expect(offsetFrom(0, 1n << 63n)).toBe(I64_MIN);
    expect(offsetFrom(SAFE + 5n, SAFE + 2n)).toBe(3);
    expect(() => offsetFrom(MAX, 0)).toThrow(/does not fit a signed 64-bit offset/);
    expect(() => offsetFrom(0, (1n << 63n) + 1n)).toThrow(AddressError);
    expect(subAddr(MAX, 0)).toBe(MAX);
    expect(subAddr(SAFE + 7n, 7)).toBe(SAFE_N);
    expect(subAddr(0x2000, 0x1000)).toBe(0x1000);
  });
});

describe('wrapping, overflowing and checked forms', () => {
  it('wrap modulo 2^64', () => {
    expect(wrappingAdd(MAX, 1)).toBe(0);
    expect(wrappingAdd(MAX, MAX)).toBe(MAX - 1n);
    expect(wrappingSub(0, 1)).toBe(MAX);
    expect(wrappingSub(0, MAX)).toBe(1);
    expect(wrappingSubAddr(0x1000, 0x2000)).toBe(MAX - 0xfffn);
    expect(wrappingOffset(0, -1)).toBe(MAX);
    expect(wrappingOffset(MAX, 2)).toBe(1);
    expect(wrappingOffset(SAFE_N, 1)).toBe(SAFE + 1n);
  });

  it('report overflow', () => {
    expect(overflowingAdd(MAX, 1)).toEqual([0, true]);
    expect(overflowingAdd(SAFE_N, 1)).toEqual([SAFE + 1n, false]);
    expect(overflowingSub(0, 1)).toEqual([MAX, true]);
    expect(overflowingSub(SAFE + 1n, 1)).toEqual([SAFE_N, false]);
    expect(overflowingSubAddr(1, 2)).toEqual([MAX, true]);
    expect(overflowingSubAddr(MAX, 1)).toEqual([MAX - 1n, false]);
  });

  it('give undefined on overflow', () => {
    expect(checkedAdd(MAX, 1)).toBeUndefined();
    expect(checkedAdd(MAX - 1n, 1)).toBe(MAX);
    expect(checkedSub(0, 1)).toBeUndefined();
    expect(checkedSub(SAFE + 1n, 1n)).toBe(SAFE_N);
    expect(checkedSubAddr(1, 2)).toBeUndefined();
    expect(checkedSubAddr(2, 1)).toBe(1);
  });

  it.each(NOT_ADDRESSES)('throw for the non-address %s in every form', (x) => {
    const fns: ((a: number | bigint, b: number | bigint) => unknown)[] = [
      addrAdd,
      addrSub,
      subAddr,
      wrappingAdd,
      wrappingSub,
      wrappingSubAddr,
      overflowingAdd,
      overflowingSub,
      overflowingSubAddr,
      checkedAdd,
      checkedSub,
      checkedSubAddr,
      offsetFrom,
    ];
    for (const f of fns) {
      expect(() => f(x, 1)).toThrow(AddressError);
      expect(() => f(1, x)).toThrow(AddressError);
    }
    expect(() => addrOffset(x, 1)).toThrow(AddressError);
    expect(() => wrappingOffset(x, 1)).toThrow(AddressError);
  });

  it('keep the brand', () => {
    const p: PhysAddr = addrAdd(pa(0x1000), 0x1000);
    const v: VirtAddr | undefined = checkedSub(va(0x1000), 1);
    const [o]: [VirtAddr, boolean] = overflowingAdd(va(1), 1);
    // @ts-expect-error addresses of different kinds
    const bad: PhysAddr = addrAdd(va(1), 1);
    expect([p, v, o, bad]).toEqual([0x2000, 0xfff, 2, 2]);
  });
});

describe('arithmetic against the bigint model (property)', () => {
  const opts = { numRuns: 400 };

  it('add and sub in every form', () => {
    fc.assert(
      fc.property(u64Input, u64Input, ([a, ai], [b, bi]) => {
        const s = a + b;
        const d = a - b;
        const sOk = model.inSpace(s);
        const dOk = model.inSpace(d);
        if (sOk) expectCanon(addrAdd(ai, bi), s);
        else expect(() => addrAdd(ai, bi)).toThrow(AddressError);
        if (dOk) {
          expectCanon(addrSub(ai, bi), d);
          expectCanon(subAddr(ai, bi), d);
        } else {
          expect(() => addrSub(ai, bi)).toThrow(AddressError);
          expect(() => subAddr(ai, bi)).toThrow(AddressError);
        }
        expectCanon(wrappingAdd(ai, bi), model.wrap(s));
        expectCanon(wrappingSub(ai, bi), model.wrap(d));
        expectCanon(wrappingSubAddr(ai, bi), model.wrap(d));
        expect(overflowingAdd(ai, bi)).toEqual([canon(model.wrap(s)), !sOk]);
        expect(overflowingSub(ai, bi)).toEqual([canon(model.wrap(d)), !dOk]);
        expect(overflowingSubAddr(ai, bi)).toEqual([canon(model.wrap(d)), !dOk]);
        expect(checkedAdd(ai, bi)).toBe(sOk ? canon(s) : undefined);
        expect(checkedSub(ai, bi)).toBe(dOk ? canon(d) : undefined);
        expect(checkedSubAddr(ai, bi)).toBe(dOk ? canon(d) : undefined);
        if (d >= I64_MIN && d <= I64_MAX) expectCanon(offsetFrom(ai, bi), d);
        else expect(() => offsetFrom(ai, bi)).toThrow(AddressError);
      }),
      opts,
    );
  });

  it('signed offsets', () => {
    fc.assert(
      fc.property(u64Input, i64Input, ([a, ai], [d, di]) => {
        const s = a + d;
        if (model.inSpace(s)) expectCanon(addrOffset(ai, di), s);
        else expect(() => addrOffset(ai, di)).toThrow(AddressError);
        expectCanon(wrappingOffset(ai, di), model.wrap(s));
      }),
      opts,
    );
  });

  it('offsetFrom inverts addrOffset', () => {
    fc.assert(
      fc.property(u64Input, u64Input, ([a, ai], [b, bi]) => {
        const d = a - b;
        fc.pre(d >= I64_MIN && d <= I64_MAX);
        expectCanon(addrOffset(bi, offsetFrom(ai, bi)), a);
      }),
      opts,
    );
  });
});
