import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AddressError,
  dynPageIter,
  PAGE_SIZE_1G,
  PAGE_SIZE_2M,
  type PageIter,
  type PhysAddr,
  pa,
  pageIter1G,
  pageIter2M,
  pageIter4K,
  type VirtAddr,
  va,
} from '../src/index.js';
import { canon, MAX, SAFE } from './model.js';

const TWO53 = 1n << 53n;

describe('page iterators', () => {
  it('steps through 4K pages', () => {
    expect([...pageIter4K(0x1000, 0x4000)!]).toEqual([0x1000, 0x2000, 0x3000]);
    expect([...pageIter4K(0, 0)!]).toEqual([]);
    expect([...pageIter4K(0x2000, 0x1000)!]).toEqual([]);
  });

  it('steps through huge pages', () => {
    expect([...pageIter2M(0, 3 * PAGE_SIZE_2M)!]).toEqual([0, PAGE_SIZE_2M, 2 * PAGE_SIZE_2M]);
    expect([...pageIter1G(2 ** 32, 2 ** 32 + 2 * PAGE_SIZE_1G)!]).toEqual([2 ** 32, 2 ** 32 + PAGE_SIZE_1G]);
    expect([...dynPageIter(0, 4, 1)!]).toEqual([0, 1, 2, 3]);
  });

  it('fails (undefined) unless the size is a power of two and both ends aligned', () => {
    expect(pageIter4K(0x1001, 0x2000)).toBeUndefined();
    expect(pageIter4K(0x1000, 0x2001)).toBeUndefined();
    expect(pageIter2M(0x1000, PAGE_SIZE_2M)).toBeUndefined();
    expect(pageIter1G(0, PAGE_SIZE_2M)).toBeUndefined();
    expect(pageIter4K(MAX, MAX)).toBeUndefined();
    expect(dynPageIter(0, 0x3000, 0x3000)).toBeUndefined();
    expect(dynPageIter(0, 0, 0)).toBeUndefined();
    expect(dynPageIter(0, 0, MAX)).toBeUndefined();
    expect(dynPageIter(1n << 53n, (1n << 53n) + 3n, 2)).toBeUndefined();
  });

  it('throws for values that are not addresses or sizes', () => {
    expect(() => pageIter4K(1.5, 0x1000)).toThrow(AddressError);
    expect(() => pageIter4K(0, -0x1000)).toThrow(AddressError);
    expect(() => pageIter4K(0, 2 ** 53)).toThrow(AddressError);
    expect(() => dynPageIter(0, 0x1000, 0.5)).toThrow(AddressError);
    expect(() => dynPageIter(0, 0x1000, 1n << 64n)).toThrow(AddressError);
  });

  it('crosses 2^53 with the right representation', () => {
    const got = [...pageIter4K(TWO53 - 0x2000n, TWO53 + 0x2000n)!];
    expect(got).toEqual([2 ** 53 - 0x2000, 2 ** 53 - 0x1000, TWO53, TWO53 + 0x1000n]);
    expect(got.map((x) => typeof x)).toEqual(['number', 'number', 'bigint', 'bigint']);
    const big = [...dynPageIter(0, 1n << 60n, 1n << 58n)!];
    expect(big).toEqual([0, 2n ** 58n, 2n ** 59n, 3n * 2n ** 58n]);
    expect([...dynPageIter(0, 3n * 2n ** 52n, 2 ** 52)!]).toEqual([0, 2 ** 52, 2n ** 53n]);
  });

  it('reaches the top of the space', () => {
    expect([...pageIter4K(MAX - 0x2fffn, MAX - 0xfffn)!]).toEqual([MAX - 0x2fffn, MAX - 0x1fffn]);
    expect([...pageIter1G(MAX + 1n - 2n * BigInt(PAGE_SIZE_1G), MAX - BigInt(PAGE_SIZE_1G) + 1n)!]).toEqual([
      MAX + 1n - 2n * BigInt(PAGE_SIZE_1G),
    ]);
    expect([...dynPageIter(0, 1n << 63n, 1n << 63n)!]).toEqual([0]);
    expect([...dynPageIter(1n << 63n, 1n << 63n, 1n << 63n)!]).toEqual([]);
  });

  it('is a one-shot iterator', () => {
    const it4 = pageIter4K(0, 0x2000)!;
    expect(it4.next()).toEqual({ value: 0, done: false });
    expect([...it4]).toEqual([0x1000]);
    expect(it4.next().done).toBe(true);
  });

  it('keeps the brand', () => {
    const v: PageIter<VirtAddr> | undefined = pageIter4K(va(0), va(0x1000));
    const p: PageIter<PhysAddr> | undefined = dynPageIter(pa(0), pa(0x1000), 0x1000);
    // @ts-expect-error the kinds differ
    const bad: PageIter<PhysAddr> | undefined = pageIter2M(va(0), va(0));
    expect([[...v!], [...p!], [...bad!]]).toEqual([[0], [0], []]);
  });

  it('matches the model across the whole space (property)', () => {
    const arb = fc
      .tuple(
        fc.integer({ min: 0, max: 63 }),
        fc.oneof(fc.bigInt({ min: 0n, max: MAX }), fc.constantFrom(0n, SAFE - 0x5000n, SAFE, MAX - 0x5000n, MAX)),
        fc.integer({ min: -2, max: 6 }),
        fc.boolean(),
      )
      .map(([k, base, count, misalign]) => {
        const size = 1n << BigInt(k);
        const start = base - (base % size);
        const end = start + BigInt(count) * size + (misalign && size > 1n ? 1n : 0n);
        return { size, start, end, misalign: misalign && size > 1n };
      })
      .filter(({ end }) => end >= 0n && end <= MAX);
    fc.assert(
      fc.property(arb, fc.boolean(), ({ size, start, end, misalign }, asBig) => {
        const it = dynPageIter(canon(start), asBig ? end : canon(end), size <= SAFE && !asBig ? Number(size) : size);
        if (misalign) {
          expect(it).toBeUndefined();
          return;
        }
        const want: (number | bigint)[] = [];
        for (let a = start; a < end; a += size) want.push(canon(a));
        expect([...it!]).toEqual(want);
      }),
      { numRuns: 400 },
    );
  });
});
