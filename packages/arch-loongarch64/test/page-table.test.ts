import { MappingFlags, PageSize, PagingError, RamHandler } from '@page-table/core';
import { kindOf, walkAll } from '@page-table/test-support';
import { describe, expect, it } from 'vitest';
import {
  LA64_3LEVEL_METADATA,
  LA64_4LEVEL_METADATA,
  LA64_PHYS_ADDR_MASK,
  LA64_PTE,
  LA64PageTable,
  PWCH_3LEVEL,
  PWCH_4LEVEL,
  PWCL_4LEVEL,
} from '../src/index.js';

const { READ: R, WRITE: W, EXECUTE: X, USER: U, DEVICE: DEV } = MappingFlags;
const RW = R | W;
const HGLOBAL = 1n << 12n;
const G = 1n << 6n;

function setup(levels: 3 | 4 = 4) {
  const ram = new RamHandler({ base: 0, size: 1 << 20 }); // the tables only; leaves may point anywhere
  const pt = LA64PageTable.create(ram, { levels });
  return { ram, pt };
}

/** The kind of PagingError `fn` throws, or 'ok'. */
const kind = kindOf(PagingError);

/** PA of the entry that maps `va` at `level`, following the bare-address directory entries in RAM. */
function entryPa(ram: RamHandler, pt: LA64PageTable, va: bigint, level: number): number {
  let table = Number(pt.rootPaddr);
  for (let l = pt.meta.levels - 1; ; l--) {
    const at = table + Number((va >> BigInt(12 + 9 * l)) & 511n) * 8;
    if (l === level) return at;
    table = Number(ram.read64(at) & LA64_PHYS_ADDR_MASK);
  }
}

describe('LA64PageTable: the reference example', () => {
  it('creates a table, maps a 4K page and queries it', () => {
    const ram = new RamHandler({ base: 0, size: 16 << 20 });
    const pt = LA64PageTable.create(ram);
    pt.map(0x1000_0000, 0x8_0000, PageSize.Size4K, RW);
    expect(pt.query(0x1000_0abc)).toEqual({ paddr: 0x8_0abc, flags: RW, size: PageSize.Size4K });
    expect(pt.meta).toBe(LA64_4LEVEL_METADATA);
    expect(pt.pwcl).toBe(PWCL_4LEVEL);
    expect(pt.pwch).toBe(PWCH_4LEVEL);
    // The leaf as LDPTE reads it: V|P|W|D|MAT=CC, executable (NX clear), readable (NR clear).
    const leaf = ram.read64(entryPa(ram, pt, 0x1000_0000n, 0));
    expect(leaf).toBe(0x8_0000n | 0x1n | 0x80n | 0x100n | 0x2n | 0x10n | (1n << 62n));
    pt.destroy();
    expect(ram.framesInUse).toBe(0);
  });
});

describe('LA64PageTable: every page size, both level counts', () => {
  const sizes = [
    ['4K', PageSize.Size4K, 0x0123_4567_8000n],
    ['2M', PageSize.Size2M, 0x0123_4560_0000n],
    ['1G', PageSize.Size1G, 0x0123_4000_0000n],
  ] as const;
  for (const levels of [4, 3] as const) {
    for (const [name, size, va4] of sizes) {
      it(`${levels} levels: map / query / protect / remap / unmap a ${name} leaf`, () => {
        const { ram, pt } = setup(levels);
        const va = levels === 4 ? va4 : va4 & ((1n << 38n) - 1n);
        const pa = 0x1_4000_0000; // PA above 2^32, aligned to every size
        pt.map(va, pa, size, R | X | U);
        const off = BigInt(size - 8);
        expect(pt.query(va + off)).toEqual({ paddr: pa + size - 8, flags: R | X | U, size });
        expect(pt.protect(va, RW | DEV)).toBe(size);
        expect(pt.query(va)).toEqual({ paddr: pa, flags: RW | DEV, size });
        expect(pt.remap(va, 0x2_0000_0000, W)).toBe(size);
        expect(pt.query(va)).toEqual({ paddr: 0x2_0000_0000, flags: W, size });
        // The raw leaf is what the codec writes: GH exactly for blocks, never HGLOBAL.
        const raw = ram.read64(entryPa(ram, pt, va, size === PageSize.Size4K ? 0 : size === PageSize.Size2M ? 1 : 2));
        expect(raw).toBe(LA64_PTE.newPage(0x2_0000_0000, W, size !== PageSize.Size4K));
        expect(raw & HGLOBAL).toBe(0n);
        expect(pt.unmap(va)).toEqual({ paddr: 0x2_0000_0000, flags: W, size });
        expect(pt.query(va)).toBeUndefined();
        expect(kind(() => pt.unmap(va))).toBe('NotMapped');
        pt.destroy();
        expect(ram.framesInUse).toBe(0);
      });
    }
  }
});

describe('LA64PageTable: address space edges', () => {
  it('4 levels: a high-half bigint VA, the top page, the top of the low half, non-canonical VAs', () => {
    const { pt } = setup();
    const high = 0xffff_8000_0000_0000n;
    pt.map(high, 0x20_0000, PageSize.Size2M, RW);
    expect(pt.query(high + 0x1234n)).toEqual({ paddr: 0x20_1234, flags: RW, size: PageSize.Size2M });
    pt.map(0xffff_ffff_ffff_f000n, 0xffff_ffff_f000, PageSize.Size4K, R);
    expect(pt.query(0xffff_ffff_ffff_ffffn)).toEqual({ paddr: 0xffff_ffff_ffff, flags: R, size: PageSize.Size4K });
    pt.map(0x7fff_ffff_f000, 0x3000, PageSize.Size4K, X);
    expect(pt.query(0x7fff_ffff_ffff)?.paddr).toBe(0x3fff);
    expect([...pt.mappings()].map((m) => [m.va, m.pa])).toEqual([
      [0x7fff_ffff_f000, 0x3000],
      [high, 0x20_0000],
      [0xffff_ffff_ffff_f000n, 0xffff_ffff_f000],
    ]);
    expect(kind(() => pt.map(0x8000_0000_0000, 0x3000, PageSize.Size4K, R))).toBe('InvalidAddress');
    expect(kind(() => pt.map(0xffff_7fff_ffff_f000n, 0x3000, PageSize.Size4K, R))).toBe('InvalidAddress');
    expect(kind(() => pt.map(0x5000, 2 ** 48, PageSize.Size4K, R))).toBe('InvalidAddress');
  });

  it('3 levels: 39-bit VAs sign-extended from bit 38', () => {
    const { pt } = setup(3);
    const high = 0xffff_ffc0_0000_0000n;
    pt.map(high, 0x4000_0000, PageSize.Size1G, RW);
    expect(pt.query(high + 0x3fff_ffffn)).toEqual({ paddr: 0x7fff_ffff, flags: RW, size: PageSize.Size1G });
    pt.map(0xffff_ffff_ffff_f000n, 0x5000, PageSize.Size4K, R);
    expect(pt.query(0xffff_ffff_ffff_f000n)?.paddr).toBe(0x5000);
    pt.map(0x3f_ffff_f000, 0x6000, PageSize.Size4K, R);
    expect(pt.query(0x3f_ffff_f000)?.paddr).toBe(0x6000);
    expect(kind(() => pt.map(0x40_0000_0000, 0x6000, PageSize.Size4K, R))).toBe('InvalidAddress');
    expect(kind(() => pt.map(0xffff_ff80_0000_0000n, 0x6000, PageSize.Size4K, R))).toBe('InvalidAddress');
    expect(pt.pwch).toBe(PWCH_3LEVEL);
  });
});

describe('LA64PageTable: regions', () => {
  it('maps a region with huge pages, protects and unmaps it', () => {
    const { ram, pt } = setup();
    pt.mapRegion(0x4000_0000, 0x4000_0000, 0x4040_0000, RW, true); // 1G + 2 × 2M
    expect([...pt.mappings()].map((m) => [m.va, m.pa, m.size, m.pageSize])).toEqual([
      [0x4000_0000, 0x4000_0000, 0x4000_0000, PageSize.Size1G],
      [0x8000_0000, 0x8000_0000, 0x40_0000, PageSize.Size2M],
    ]);
    pt.protectRegion(0x4000_0000, 0x4040_0000, R);
    expect(pt.query(0x8020_0000)?.flags).toBe(R);
    pt.unmapRegion(0x4000_0000, 0x4040_0000);
    expect([...pt.mappings()]).toEqual([]);
    pt.destroy();
    expect(ram.framesInUse).toBe(0);
  });
});

describe('LA64PageTable: adoption', () => {
  it('fromRoot reads tables written by another instance and leaves the tree to its owner', () => {
    const { ram, pt } = setup();
    pt.map(0x1000, 0x9000, PageSize.Size4K, RW | U);
    pt.map(0xffff_8000_0020_0000n, 0x40_0000, PageSize.Size2M, R | X);
    const used = ram.framesInUse;
    const guest = LA64PageTable.fromRoot(ram, pt.rootPaddr);
    expect(guest.meta).toBe(LA64_4LEVEL_METADATA);
    expect(guest.query(0x1abc)).toEqual({ paddr: 0x9abc, flags: RW | U, size: PageSize.Size4K });
    expect([...guest.mappings()]).toEqual([...pt.mappings()]);
    guest.map(0x20_0000_0000, 0xa000, PageSize.Size4K, R);
    expect(pt.query(0x20_0000_0000)?.paddr).toBe(0xa000);
    guest.unmap(0x20_0000_0000);
    const grown = ram.framesInUse;
    expect(grown).toBeGreaterThan(used);
    guest.destroy(); // not owned: the tree, with the tables the guest view added, stays with its owner
    expect(ram.framesInUse).toBe(grown);
    expect(pt.query(0x1000)?.paddr).toBe(0x9000);
    pt.destroy();
    expect(ram.framesInUse).toBe(0);
  });

  it('fromRoot with levels: 3 and a bigint root', () => {
    const { ram, pt } = setup(3);
    pt.map(0x12_3456_7000, 0x7000, PageSize.Size4K, R);
    const guest = LA64PageTable.fromRoot(ram, BigInt(pt.rootPaddr), { levels: 3 });
    expect(guest.meta).toBe(LA64_3LEVEL_METADATA);
    expect(guest.query(0x12_3456_7000)?.paddr).toBe(0x7000);
  });

  it('create/fromRoot reject level counts other than 3 and 4', () => {
    const ram = new RamHandler({ base: 0, size: 1 << 20 });
    expect(() => LA64PageTable.create(ram, { levels: 5 as 4 })).toThrow(RangeError);
    expect(() => LA64PageTable.fromRoot(ram, 0x1000, { levels: 2 as 3 })).toThrow(RangeError);
  });
});

describe('LA64PageTable: deliberate differences from upstream, through the walker', () => {
  it('directory entries are bare addresses, and walk / mappings descend them (upstream walk returns [])', () => {
    const { ram, pt } = setup();
    pt.map(0xffff_8000_1234_5000n, 0x6000, PageSize.Size4K, RW);
    const entries = walkAll(pt);
    expect(entries.map((e) => [e.level, e.leaf])).toEqual([
      [3, false],
      [2, false],
      [1, false],
      [0, true],
    ]);
    for (const e of entries.filter((x) => !x.leaf)) {
      expect(e.entry).toBe(BigInt(e.paddr)); // no V, no P: what LDDIR expects
      expect(LA64_PTE.isPresent(e.entry)).toBe(false); // why upstream's walk never descends
    }
    expect(entries[3]).toMatchObject({ va: 0xffff_8000_1234_5000n, paddr: 0x6000, flags: RW, size: 4096 });
    expect(ram.read64((pt.rootPaddr as number) + 256 * 8)).toBe(BigInt(entries[0].paddr));
    expect([...pt.mappings()]).toEqual([
      { va: 0xffff_8000_1234_5000n, pa: 0x6000, size: 4096, pageSize: PageSize.Size4K, flags: RW },
    ]);
  });

  it('a huge leaf with HGLOBAL (bit 12) set still reads back its aligned address (upstream: PA + 0x1000)', () => {
    const { ram, pt } = setup();
    for (const [va, size, level] of [
      [0x4000_0000n, PageSize.Size1G, 2],
      [0x20_0000n, PageSize.Size2M, 1],
    ] as const) {
      pt.map(va, 0x1_0000_0000 + Number(va), size, RW);
      const at = entryPa(ram, pt, va, level);
      ram.write64(at, ram.read64(at) | HGLOBAL); // as Linux marks a global huge page
      expect(LA64_PTE.paddr(ram.read64(at))).toBe(0x1_0000_1000 + Number(va)); // what upstream's query reports
      expect(pt.query(va + 8n)).toEqual({ paddr: 0x1_0000_0008 + Number(va), flags: RW, size });
      expect(pt.queryPa(va)).toBe(0x1_0000_0000 + Number(va));
      expect(walkAll(pt).find((e) => e.leaf && e.va === Number(va))?.paddr).toBe(0x1_0000_0000 + Number(va));
      pt.protect(va, R); // rewrites every flag bit, HGLOBAL too, as upstream's set_flags
      expect(ram.read64(at)).toBe(LA64_PTE.newPage(0x1_0000_0000 + Number(va), R, true));
      ram.write64(at, ram.read64(at) | HGLOBAL);
      expect(pt.unmap(va)).toEqual({ paddr: 0x1_0000_0000 + Number(va), flags: R, size });
    }
  });

  it('a global 4K PTE (bit 6 = G) at an odd frame reads back exactly', () => {
    const { ram, pt } = setup();
    pt.map(0x5000, 0x1_2345_7000, PageSize.Size4K, RW);
    const at = entryPa(ram, pt, 0x5000n, 0);
    ram.write64(at, ram.read64(at) | G);
    expect(pt.query(0x5008)).toEqual({ paddr: 0x1_2345_7008, flags: RW, size: PageSize.Size4K });
    expect([...pt.mappings()][0].pa).toBe(0x1_2345_7000);
  });

  it('write-only and execute-only pages are accepted (NR), unlike on aarch64 (READ-less) and RISC-V (W-only)', () => {
    const { pt } = setup();
    pt.map(0x1000, 0x2000, PageSize.Size4K, W);
    pt.map(0x2000, 0x3000, PageSize.Size4K, X | U);
    expect(pt.query(0x1000)?.flags).toBe(W);
    expect(pt.query(0x2000)?.flags).toBe(X | U);
    // No access at all is still refused (by the walker, before the codec).
    expect(kind(() => pt.map(0x3000, 0x4000, PageSize.Size4K, U))).toBe('UnsupportedFlags');
  });
});
