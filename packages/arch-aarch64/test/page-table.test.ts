// A64PageTable on the generic walker: the reference example, every page size,
// both VA ranges, adoption of tables written elsewhere (including a hand-made
// one from the Arm layout), and the deliberate fixes pinned end to end.
import { MappingFlags, PageSize, PagingError, RamHandler } from '@page-table/core';
import { describe, expect, it } from 'vitest';
import {
  A64_EL2_METADATA,
  A64_METADATA,
  A64PageTable,
  a64Metadata,
  DescriptorAttr as D,
  ttbrIndex,
  ttbrValue,
} from '../src/index.js';
import { expectPagingError } from './helpers.js';

const { READ: R, WRITE: W, EXECUTE: X, USER: U, DEVICE: DEV, UNCACHED: UC } = MappingFlags;
const { Size4K, Size2M, Size1G } = PageSize;

function ram(): RamHandler {
  return new RamHandler({ base: 0, size: 16 << 20 });
}

/** The raw leaf descriptor mapping `va`, found through `walk`. */
function leafEntry(pt: A64PageTable, va: number): bigint | undefined {
  let found: bigint | undefined;
  pt.walk((e) => {
    if (e.leaf && typeof e.va === 'number' && va >= e.va && va < e.va + e.size) found = e.entry;
  });
  return found;
}

describe('reference example', () => {
  it('creates a table, maps a 4K page and queries it', () => {
    const handler = new RamHandler({ base: 0, size: 16 << 20 });
    const pt = A64PageTable.create(handler);
    pt.map(0x1000, 0x8000, Size4K, R | W);
    expect(pt.query(0x1234)).toEqual({ paddr: 0x8234, flags: R | W, size: Size4K });
    expect(pt.meta).toBe(A64_METADATA);
    expect(leafEntry(pt, 0x1000)).toBe(0x0060_0000_0000_8707n); // page, AF, inner shareable, RO clear, PXN|UXN
  });
});

describe('map / query / protect / unmap at every page size', () => {
  it.each([
    ['4K', Size4K, 3n],
    ['2M', Size2M, 1n],
    ['1G', Size1G, 1n],
  ] as const)('%s', (_name, size, kind) => {
    const h = ram();
    const pt = A64PageTable.create(h);
    const va = size * 3;
    const pa = size === Size1G ? 0x1_4000_0000 : size * 5; // 1G: a PA above 2^32
    pt.map(va, pa, size, R | W | X);
    expect(pt.query(va + 0x123)).toEqual({ paddr: pa + 0x123, flags: R | W | X, size });
    expect(pt.query(va + size - 1)).toEqual({ paddr: pa + size - 1, flags: R | W | X, size });
    expect(pt.query(va + size)).toBeUndefined();
    const e = leafEntry(pt, va)!;
    expect(e & 3n).toBe(kind); // `11` page at L3, `01` block at L2/L1
    expect(e & D.AF).toBe(D.AF);
    expect(e & D.ADDR).toBe(BigInt(pa));

    expect(pt.protect(va + size / 2, R | U)).toBe(size); // any VA inside the leaf
    expect(pt.query(va)).toEqual({ paddr: pa, flags: R | U, size });
    expect(leafEntry(pt, va)! & (D.AP_RO | D.AP_EL0 | D.PXN | D.UXN)).toBe(D.AP_RO | D.AP_EL0 | D.PXN | D.UXN);

    expect(pt.unmap(va + 0x10)).toEqual({ paddr: pa, flags: R | U, size });
    expect(pt.query(va)).toBeUndefined();
    expectPagingError(() => pt.unmap(va), 'NotMapped');
    pt.map(va, pa, size, R); // the entry is all zero again
    expect(pt.query(va)?.flags).toBe(R);
    pt.destroy();
    expect(h.framesInUse).toBe(0);
  });

  it('memory types read back in their normal form', () => {
    const pt = A64PageTable.create(ram());
    pt.map(0x1000, 0x1000, Size4K, R | W | DEV | UC);
    pt.map(0x2000, 0x2000, Size4K, R | W | UC);
    expect(pt.query(0x1000)?.flags).toBe(R | W | DEV);
    expect(pt.query(0x2000)?.flags).toBe(R | W | UC);
  });

  it('mapRegion picks 2M and 1G blocks when allowed', () => {
    const pt = A64PageTable.create(ram());
    const va = 0x3fe0_0000;
    pt.mapRegion(va, va, Size2M + Size1G + Size4K, R | W, true);
    expect([...pt.mappings()].map((m) => [m.va, m.pa, m.size, m.pageSize])).toEqual([
      [va, va, Size2M, Size2M],
      [0x4000_0000, 0x4000_0000, Size1G, Size1G],
      [0x8000_0000, 0x8000_0000, Size4K, Size4K],
    ]);
    pt.unmapRegion(va, Size2M + Size1G + Size4K);
    expect([...pt.mappings()]).toEqual([]);
  });
});

describe('virtual address ranges', () => {
  it('maps high-half (TTBR1) VAs given as bigints, up to the top of the address space', () => {
    const pt = A64PageTable.create(ram());
    pt.map(0xffff_0000_0000_0000n, 0x5000, Size4K, R | W);
    pt.map(0xffff_ffff_ffff_f000n, 0x6000, Size4K, R);
    pt.map(0xffff_ffff_8000_0000n, 0x4000_0000, Size1G, R | X);
    expect(pt.query(0xffff_0000_0000_0123n)).toEqual({ paddr: 0x5123, flags: R | W, size: Size4K });
    expect(pt.query(0xffff_ffff_ffff_ffffn)).toEqual({ paddr: 0x6fff, flags: R, size: Size4K });
    expect(pt.query(0xffff_ffff_8123_4567n)).toEqual({ paddr: 0x4123_4567, flags: R | X, size: Size1G });
    expect(pt.unmap(0xffff_ffff_ffff_f000n).paddr).toBe(0x6000);
  });

  it('the whole lower range is valid, including bit 47 (0x0000_8000_0000_0000), as upstream', () => {
    const pt = A64PageTable.create(ram());
    pt.map(0x0000_8000_0000_0000, 0x7000, Size4K, R);
    pt.map(0x0000_ffff_ffff_f000, 0x8000, Size4K, R);
    expect(pt.query(0x0000_8000_0000_0fff)?.paddr).toBe(0x7fff);
    expect(pt.query(0x0000_ffff_ffff_ffff)?.paddr).toBe(0x8fff);
  });

  it('VAs whose bits 63..48 are mixed are InvalidAddress', () => {
    const pt = A64PageTable.create(ram());
    expectPagingError(() => pt.map(0x0001_0000_0000_0000, 0x1000, Size4K, R), 'InvalidAddress');
    expectPagingError(() => pt.map(0xfffe_ffff_ffff_f000n, 0x1000, Size4K, R), 'InvalidAddress');
    expectPagingError(() => pt.query(0x8000_0000_0000_0000n), 'InvalidAddress');
  });

  it('one table indexes bits 47..12 only: lower and upper VAs alias, so each TTBR gets its own table', () => {
    const h = ram();
    const shared = A64PageTable.create(h);
    shared.map(0xffff_0000_0004_0000n, 0x9000, Size4K, R);
    expect(shared.query(0x0000_0000_0004_0000)?.paddr).toBe(0x9000);

    const user = A64PageTable.create(h); // TTBR0_EL1
    const kernel = A64PageTable.create(h); // TTBR1_EL1
    user.map(0x40_0000, 0xa000, Size4K, R | W | U);
    kernel.map(0xffff_0000_0040_0000n, 0xb000, Size4K, R | W);
    expect(user.query(0x40_0000)?.paddr).toBe(0xa000);
    expect(kernel.query(0xffff_0000_0040_0000n)?.paddr).toBe(0xb000);
    expect(ttbrIndex(0x40_0000)).toBe(0);
    expect(ttbrIndex(0xffff_0000_0040_0000n)).toBe(1);
    expect(ttbrValue(user.rootPaddr, 5)).toBe(5 * 2 ** 48 + Number(user.rootPaddr));
    // walk/mappings report VA bits 47..0: bits 63..48 only choose the TTBR.
    expect([...kernel.mappings()].map((m) => m.va)).toEqual([0x40_0000]);
  });
});

describe('fromRoot', () => {
  it('adopts tables written by another instance, sharing the same memory', () => {
    const h = ram();
    const a = A64PageTable.create(h);
    a.map(0x1000, 0x2000, Size4K, R | W | U);
    a.map(0x40_0000, 0x60_0000, Size2M, R | X);
    const before = h.framesInUse;
    const b = A64PageTable.fromRoot(h, a.rootPaddr);
    expect(b.query(0x1000)).toEqual(a.query(0x1000));
    expect(b.query(0x40_1234)).toEqual({ paddr: 0x60_1234, flags: R | X, size: Size2M });
    expect([...b.mappings()]).toEqual([...a.mappings()]);
    b.map(0x80_0000_0000, 0x3000, Size4K, R); // new L1..L3 tables, allocated by b
    expect(a.query(0x80_0000_0000)?.paddr).toBe(0x3000);
    const grown = h.framesInUse;
    expect(grown).toBe(before + 3);
    b.destroy(); // not owned: the tree, with the tables b added, stays with its owner
    expect(h.framesInUse).toBe(grown);
    a.destroy();
    expect(h.framesInUse).toBe(0);
  });

  it('adopts the Arm-layout tables of the MMU study (base A0, MAIR slot 4 = Normal)', () => {
    const h = new RamHandler({ base: 0x4000_0000, size: 64 << 10 });
    const w = (pa: number, v: bigint) => h.write64(pa, v);
    w(0x4000_0000, 0x0000_0000_4000_1003n); // L0[0] table
    w(0x4000_0008, 0x0000_0000_0000_0711n); // L0[1] `01`: no blocks at L0
    w(0x4000_1000, 0x0000_0000_4000_2003n); // L1[0] table
    w(0x4000_1008, 0x0000_0000_8000_0751n); // L1[1] 1G block, AP=01
    w(0x4000_2000, 0x0000_0000_4000_3003n); // L2[0] table
    w(0x4000_2008, 0x0000_0000_4020_0711n); // L2[1] 2M block, AP=00
    w(0x4000_3028, 0x0000_0000_4000_5753n); // L3[5] AP=01
    w(0x4000_3030, 0x0000_0000_4000_67d3n); // L3[6] AP=11
    w(0x4000_3038, 0x0000_0000_4000_7713n); // L3[7] AP=00
    w(0x4000_3058, 0x0008_0000_4000_b793n); // L3[11] AP=10 + DBM (bit 51, not address)
    const pt = A64PageTable.fromRoot(h, 0x4000_0000, { attrIndex: { device: 0, normal: 4, nonCacheable: 2 } });
    expect(pt.query(0x5abc)).toEqual({ paddr: 0x4000_5abc, flags: R | W | X | U, size: Size4K });
    expect(pt.query(0x6000)).toEqual({ paddr: 0x4000_6000, flags: R | X | U, size: Size4K });
    expect(pt.query(0x7000)).toEqual({ paddr: 0x4000_7000, flags: R | W | X, size: Size4K });
    expect(pt.query(0xa000)).toBeUndefined();
    expect(pt.query(0xb000)).toEqual({ paddr: 0x4000_b000, flags: R | X, size: Size4K });
    expect(pt.query(0x2a_bcde)).toEqual({ paddr: 0x402a_bcde, flags: R | W | X, size: Size2M });
    expect(pt.query(0x4123_4567)).toEqual({ paddr: 0x8123_4567, flags: R | W | X | U, size: Size1G });
    expect(pt.query(0x80_0000_1234)).toBeUndefined(); // a `01` at L0 is not a block (4K granule)
    // Slot 4 is Normal here, slot 0 Device: with the default layout the same tables read as Device.
    expect(A64PageTable.fromRoot(h, 0x4000_0000).query(0x5000)?.flags).toBe(R | W | X | U);
    w(0x4000_3040, 0x0000_0000_4000_8757n & ~0x1cn); // L3[8] AttrIndx 0
    expect(A64PageTable.fromRoot(h, 0x4000_0000).query(0x8000)?.flags).toBe(R | W | X | U | DEV);
  });
});

describe('regimes and MAIR layouts', () => {
  it('el2: USER is dropped, EXECUTE is bit 54 only', () => {
    const pt = A64PageTable.create(ram(), { regime: 'el2' });
    expect(pt.meta).toBe(A64_EL2_METADATA);
    pt.map(0x1000, 0x2000, Size4K, R | W | U);
    pt.map(0x2000, 0x3000, Size4K, R | X | U);
    expect(pt.query(0x1000)?.flags).toBe(R | W);
    expect(pt.query(0x2000)?.flags).toBe(R | X);
    expect(leafEntry(pt, 0x1000)! & (D.AP_EL0 | D.PXN | D.UXN)).toBe(D.UXN);
    expect(leafEntry(pt, 0x2000)! & (D.AP_EL0 | D.PXN | D.UXN)).toBe(0n);
  });

  it('attrIndex: the configured slots are written and read back; equal options share one codec', () => {
    const attrIndex = { device: 3, normal: 0, nonCacheable: 1 };
    const h = ram();
    const a = A64PageTable.create(h, { attrIndex });
    const b = A64PageTable.create(h, { attrIndex: { ...attrIndex } });
    expect(a.meta).toBe(b.meta);
    expect(a.meta).toBe(a64Metadata({ attrIndex }));
    a.map(0x1000, 0x1000, Size4K, R | W | DEV);
    a.map(0x2000, 0x2000, Size4K, R | W);
    expect((leafEntry(a, 0x1000)! & D.ATTR_INDX) >> 2n).toBe(3n);
    expect((leafEntry(a, 0x2000)! & D.ATTR_INDX) >> 2n).toBe(0n);
    expect(a.query(0x1000)?.flags).toBe(R | W | DEV);
    expect(a.query(0x2000)?.flags).toBe(R | W);
  });

  it('the walker options pass through (TLB hook)', () => {
    const seen: unknown[] = [];
    const pt = A64PageTable.create(ram(), { regime: 'el2', flushTlb: (va) => seen.push(va) });
    pt.map(0x5000, 0x5000, Size4K, R);
    pt.flush();
    expect(seen).toEqual([0x5000]);
  });
});

describe('deliberate differences, through the walker', () => {
  it('an all-zero L1/L2 entry is a hole, not a block: protectRegion and unmapRegion step over it (upstream panics)', () => {
    const pt = A64PageTable.create(ram());
    pt.map(0x1000, 0x1000, Size4K, R | W);
    // L1[1] is zero under an existing L0 table; L2[2] is zero under an existing L1 table.
    pt.protectRegion(0x4000_0000, 0x1000, R);
    pt.protectRegion(0x40_0000, 0x1000, R);
    pt.unmapRegion(0x4000_0000, 0x1000);
    expect(pt.query(0x4000_0000)).toBeUndefined();
    pt.protectRegion(0, Size1G * 2, R);
    expect(pt.query(0x1000)?.flags).toBe(R);
    pt.unmapRegion(0, Size1G * 2);
    expect([...pt.mappings()]).toEqual([]);
  });

  it('an invalid descriptor with bit 1 clear is not a block (upstream is_huge says it is)', () => {
    const h = ram();
    const pt = A64PageTable.create(h);
    pt.map(0x1000, 0x1000, Size4K, R);
    // What upstream writes for a WRITE-only 2M block: VALID clear, NON_BLOCK clear.
    const l2 = [...walkTables(pt)].find((t) => t.level === 1)!;
    h.write64(BigInt(l2.pa) + 8n, 0x0040_0000_4000_0704n); // L2[1], VA 0x20_0000
    expect(pt.query(0x20_0000)).toBeUndefined();
    pt.protectRegion(0x20_0000, Size2M, R); // no MappedToHugePage, nothing to change
    expect(h.read64(BigInt(l2.pa) + 8n)).toBe(0x0040_0000_4000_0704n);
    expect([...pt.mappings()].map((m) => m.va)).toEqual([0x1000]);
  });

  it('READ-less flag sets are UnsupportedFlags and change nothing (upstream writes an invalid descriptor)', () => {
    const h = ram();
    const pt = A64PageTable.create(h);
    const frames = h.framesInUse;
    for (const f of [W, X, W | X, W | U, X | U | DEV]) {
      expectPagingError(() => pt.map(0x1000, 0x1000, Size4K, f), 'UnsupportedFlags');
      expectPagingError(() => pt.map(0x20_0000, 0x20_0000, Size2M, f), 'UnsupportedFlags');
      expectPagingError(() => pt.mapRegion(0x1000, 0x1000, 0x3000, f), 'UnsupportedFlags');
    }
    expect(h.framesInUse).toBe(frames);
    expect([...pt.mappings()]).toEqual([]);
    pt.map(0x1000, 0x1000, Size4K, R | W);
    const e = leafEntry(pt, 0x1000);
    expectPagingError(() => pt.protect(0x1000, W), 'UnsupportedFlags');
    expectPagingError(() => pt.remap(0x1000, 0x2000, X), 'UnsupportedFlags');
    expectPagingError(() => pt.protectRegion(0, 0x4000, W | X), 'UnsupportedFlags');
    expect(leafEntry(pt, 0x1000)).toBe(e);
  });

  it('the upstream failure mode is an invalid descriptor: what map(W) would have written', () => {
    const pte = A64_METADATA.pte;
    expect(pte.isPresent(pte.newPage(0x1000, W, false))).toBe(false);
    expect(() => A64PageTable.create(ram()).map(0x1000, 0x1000, Size4K, W)).toThrow(PagingError);
    expect(() => A64PageTable.create(ram()).map(0x1000, 0x1000, Size4K, W)).toThrow(/without READ/);
  });
});

/** Table links found by `walk`, with the level of the table they point to. */
function* walkTables(pt: A64PageTable): Generator<{ pa: number; level: number }> {
  const out: { pa: number; level: number }[] = [];
  pt.walk((e) => {
    if (!e.leaf) out.push({ pa: Number(e.paddr), level: e.level - 1 });
  });
  yield* out;
}

describe('level-3 descriptors', () => {
  it('treats a reserved 0b01 page descriptor as invalid: not mapped, and free to map over', () => {
    const h = ram();
    const pt = A64PageTable.create(h, { range: 'lower' });
    pt.map(0x5000, 0x9000, Size4K, R | W);
    let l3 = 0;
    pt.walk((e) => {
      if (e.level === 1 && !e.leaf) l3 = e.paddr as number;
    });
    const at = l3 + 5 * 8;
    const entry = h.read64(at);
    h.write64(at, entry & ~2n); // bits[1:0] = 0b01: reserved at level 3 (upstream reports it as a page)
    expect(pt.query(0x5000)).toBeUndefined();
    expect([...pt.mappings()]).toEqual([]);
    expectPagingError(() => pt.unmap(0x5000), 'NotMapped');
    pt.map(0x5000, 0xa000, Size4K, R);
    expect(pt.query(0x5000)?.paddr).toBe(0xa000);
  });
});
