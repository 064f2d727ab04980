/**
 * The walker's error contract seen from outside the package: the brand that
 * makes `isPagingError` work across the ESM and CJS builds, and the x86
 * Accessed/Dirty bits kept by `protect`, `protectRegion` and `remap`.
 */
import { createRequire } from 'node:module';
import { X64PageTable } from '@page-table/arch-x86_64';
import * as esm from '@page-table/core';
import { MappingFlags as F, PageSize, RamHandler } from '@page-table/core';
import { describe, expect, it } from 'vitest';

const cjs = createRequire(import.meta.url)('@page-table/core') as typeof esm;
const RW = F.READ | F.WRITE;

describe('PagingError across the ESM and CJS builds', () => {
  it('loads two copies of the class', () => {
    expect(cjs.PagingError).not.toBe(esm.PagingError);
  });

  it('isPagingError and instanceof recognise an error of the other build', () => {
    const fromCjs = new cjs.PagingError('Busy', 'x');
    const fromEsm = new esm.PagingError('Destroyed', 'y');
    expect(esm.isPagingError(fromCjs, 'Busy')).toBe(true);
    expect(cjs.isPagingError(fromEsm, 'Destroyed')).toBe(true);
    expect(fromCjs instanceof esm.PagingError).toBe(true);
    expect(fromEsm instanceof cjs.PagingError).toBe(true);
    expect(esm.isPagingError(new Error('Busy: x'))).toBe(false);
  });

  it('an error thrown by a CJS-built table is a PagingError to ESM code', () => {
    const ram = new cjs.RamHandler({ base: 0, size: 1 << 20 });
    const pt = new cjs.PageTable64(
      X64PageTable.create(new RamHandler({ base: 0, size: 1 << 20 })).meta,
      ram,
      cjs.PageTable64.allocRoot(ram),
      true,
    );
    let caught: unknown;
    try {
      pt.unmap(0x1000);
    } catch (e) {
      caught = e;
    }
    expect(esm.isPagingError(caught, 'NotMapped')).toBe(true);
    expect((caught as esm.PagingError).va).toBe(0x1000);
  });
});

describe('x86_64: rewriting a leaf keeps the Accessed and Dirty bits the MMU set', () => {
  const A_D = 0x60;

  /** Word index of the leaf entry for `va` (a scan for its unique address). */
  function leafWord(ram: RamHandler, pa: number): number {
    const w = ram.words;
    for (let i = 0; i < w.length; i += 2) if ((w[i] & ~0xfff) >>> 0 === pa && (w[i] & 1) !== 0) return i;
    throw new Error('leaf not found');
  }

  it('protect, protectRegion and remap', () => {
    const ram = new RamHandler({ base: 0, size: 4 << 20 });
    const pt = X64PageTable.create(ram);
    pt.map(0x40_0000, 0x12_3000, PageSize.Size4K, RW);
    const w = leafWord(ram, 0x12_3000);
    ram.words[w] |= A_D;
    pt.protect(0x40_0000, F.READ);
    expect(ram.words[w] & A_D).toBe(A_D);
    expect(pt.query(0x40_0000)?.flags).toBe(F.READ);
    pt.protectRegion(0x40_0000, 0x1000, RW | F.EXECUTE);
    expect(ram.words[w] & A_D).toBe(A_D);
    expect(pt.query(0x40_0000)?.flags).toBe(RW | F.EXECUTE);
    pt.remap(0x40_0000, 0x45_6000, RW);
    expect(ram.words[w] & A_D).toBe(A_D);
    expect(pt.query(0x40_0000)).toEqual({ paddr: 0x45_6000, flags: RW, size: 4096 });
    // A fresh mapping starts without them.
    pt.unmap(0x40_0000);
    pt.map(0x40_0000, 0x12_3000, PageSize.Size4K, RW);
    expect(ram.words[w] & A_D).toBe(0);
  });
});
