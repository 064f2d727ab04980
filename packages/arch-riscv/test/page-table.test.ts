/** The RISC-V page tables through the generic walker, on an in-memory RAM. */
import { MappingFlags, PageSize, PagingError, RamHandler, type WalkEntry } from '@page-table/core';
import { kindOf, walkAll } from '@page-table/test-support';
import { describe, expect, it } from 'vitest';
import {
  PTE_A,
  PTE_D,
  PTE_V,
  parseSatp,
  RV64_PTE,
  SatpMode,
  Sv39PageTable,
  Sv48PageTable,
  Sv57PageTable,
} from '../src/index.js';

const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;
const RW = READ | WRITE;
const RX = READ | EXECUTE;

type Table = Sv39PageTable | Sv48PageTable | Sv57PageTable;
// 1 MiB (256 frames) is plenty for these tests and keeps them fast.
const ram = () => new RamHandler({ base: 0, size: 1 << 20 });

/** The kind of PagingError `fn` throws, or 'ok'. */
const kind = kindOf(PagingError);

/** The raw leaf covering `va` (by its first VA). */
function leafAt(pt: Table, va: number | bigint): WalkEntry {
  const found = walkAll(pt).find((e) => e.leaf && BigInt(e.va) === BigInt(va));
  if (!found) throw new Error(`no leaf at ${va.toString(16)}`);
  return found;
}

const modes = [
  { name: 'Sv39', cls: Sv39PageTable, levels: 3, satpMode: 8, high: 0xffff_ffc0_0000_0000n, lowTop: 0x3f_ffff_f000 },
  { name: 'Sv48', cls: Sv48PageTable, levels: 4, satpMode: 9, high: 0xffff_8000_0000_0000n, lowTop: 0x7fff_ffff_f000 },
  {
    name: 'Sv57',
    cls: Sv57PageTable,
    levels: 5,
    satpMode: 10,
    high: 0xff00_0000_0000_0000n,
    lowTop: 0x00ff_ffff_ffff_f000n,
  },
] as const;

describe('reference example', () => {
  it('maps a 4 KiB page and queries it', () => {
    const handler = new RamHandler({ base: 0, size: 16 << 20 });
    const pt = Sv39PageTable.create(handler);
    pt.map(0x4000_0000, 0x8020_0000, PageSize.Size4K, READ | WRITE);
    expect(pt.query(0x4000_0123)).toEqual({ paddr: 0x8020_0123, flags: READ | WRITE, size: PageSize.Size4K });
    // V|R|W|A|D and PPN 0x80200 at bit 10: what the MMU reads.
    expect(leafAt(pt, 0x4000_0000).entry).toBe((0x8020_0000n >> 2n) | 0xc7n);
    expect(pt.satp(3)).toBe((8n << 60n) | (3n << 44n) | (BigInt(pt.rootPaddr) >> 12n));
    pt.destroy();
  });
});

describe.each(modes)('$name', ({ cls, levels, satpMode, high, lowTop }) => {
  it('has its metadata and satp mode', () => {
    const pt = cls.create(ram());
    expect(pt.meta.levels).toBe(levels);
    expect(cls.SATP_MODE).toBe(satpMode);
    expect(parseSatp(pt.satp())).toEqual({ mode: satpMode, asid: 0, root: pt.rootPaddr });
  });

  it.each([
    ['4K', PageSize.Size4K, 0],
    ['2M', PageSize.Size2M, 1],
    ['1G', PageSize.Size1G, 2],
  ])('maps, queries, protects and unmaps a %s leaf at level %#', (_n, size, level) => {
    const h = ram();
    const pt = cls.create(h);
    const base = 0x8000_0000; // aligned to every page size
    const target = 0x1_c000_0000;
    pt.map(base, target, size, RW | USER);
    expect(pt.query(base + size - 8)).toEqual({ paddr: target + size - 8, flags: RW | USER, size });
    const leaf = leafAt(pt, base);
    expect(leaf.level).toBe(level);
    expect(leaf.depth).toBe(levels - 1 - level);
    expect(leaf.entry).toBe((BigInt(target) >> 2n) | BigInt(PTE_V | PTE_A | PTE_D) | 0x16n);
    // Links hold V and the PPN only: A, D and U must be clear on non-leaf entries.
    for (const e of walkAll(pt).filter((x) => !x.leaf)) expect(Number(e.entry & 0x3ffn)).toBe(PTE_V);
    expect(pt.protect(base, RX)).toBe(size);
    expect(pt.query(base)?.flags).toBe(RX);
    expect(pt.unmap(base + size / 2)).toEqual({ paddr: target, flags: RX, size });
    expect(pt.query(base)).toBeUndefined();
    expect(kind(() => pt.unmap(base))).toBe('NotMapped');
    pt.destroy();
    expect(h.framesInUse).toBe(0);
  });

  it('maps a high-half VA given as a bigint', () => {
    const pt = cls.create(ram());
    pt.map(high, 0x8000_0000, PageSize.Size4K, RX);
    pt.map(high + 0x4000_0000n, 0xc000_0000, PageSize.Size1G, RW);
    expect(pt.query(high + 0x10n)).toEqual({ paddr: 0x8000_0010, flags: RX, size: PageSize.Size4K });
    expect(pt.query(high + 0x7fff_ffffn)?.paddr).toBe(0xffff_ffff);
    const leaf = leafAt(pt, high);
    expect(leaf.va).toBe(high);
    // The first high-half root entry: index 256.
    expect(walkAll(pt).find((e) => e.depth === 0)?.index).toBe(256);
    expect([...pt.mappings()].map((m) => m.va)).toEqual([high, high + 0x4000_0000n]);
  });

  it('maps the top page of the address space and the top page of the low half', () => {
    const pt = cls.create(ram());
    pt.map(0xffff_ffff_ffff_f000n, 0x3000, PageSize.Size4K, READ);
    pt.map(lowTop, 0x5000, PageSize.Size4K, READ);
    expect(pt.query(0xffff_ffff_ffff_ffffn)?.paddr).toBe(0x3fff);
    expect(pt.query(BigInt(lowTop) + 0xfffn)?.paddr).toBe(0x5fff);
    expect(leafAt(pt, 0xffff_ffff_ffff_f000n).index).toBe(511);
  });

  it('rejects VAs beyond its width (InvalidAddress)', () => {
    const pt = cls.create(ram());
    const vaBits = 39 + 9 * (levels - 3);
    const firstBad = 2n ** BigInt(vaBits - 1);
    const lastBad = 2n ** 64n - firstBad - 1n;
    for (const va of [firstBad, lastBad, firstBad + 0x1000n]) {
      expect(kind(() => pt.map(va, 0x1000, PageSize.Size4K, READ))).toBe('InvalidAddress');
      expect(kind(() => pt.query(va))).toBe('InvalidAddress');
    }
    expect(kind(() => pt.map(firstBad - 0x1000n, 0x1000, PageSize.Size4K, READ))).toBe('ok');
    expect(kind(() => pt.map(lastBad + 1n, 0x1000, PageSize.Size4K, READ))).toBe('ok');
  });

  it('maps PAs up to 2^56 - 1 (bigints above 2^53) and refuses beyond', () => {
    const pt = cls.create(ram());
    const top2M = 0xff_ffff_ffe0_0000n;
    pt.map(0x20_0000, top2M, PageSize.Size2M, RW);
    expect(pt.query(0x3f_ffff)?.paddr).toBe(0xff_ffff_ffff_ffffn);
    pt.map(0x1000, 1n << 53n, PageSize.Size4K, RW);
    expect(pt.query(0x1008)?.paddr).toBe((1n << 53n) + 8n);
    expect(kind(() => pt.queryPa(0x1000))).toBe('InvalidAddress');
    expect(kind(() => pt.map(0x2000, 1n << 56n, PageSize.Size4K, RW))).toBe('InvalidAddress');
    expect(kind(() => pt.map(0x2000, (1n << 53n) - 0x1000n, PageSize.Size4K, RW))).toBe('ok');
    expect(pt.queryPa(0x2000)).toBe(2 ** 53 - 0x1000);
  });

  it('keeps XuanTie memory types through the walker, links without them', () => {
    const pt = cls.create(ram(), { xuantie: true });
    pt.map(0x1000, 0x1000_0000, PageSize.Size4K, RW | DEVICE);
    pt.map(0x2000, 0x8000_0000, PageSize.Size4K, RW);
    expect(leafAt(pt, 0x1000).entry).toBe(0xa000_0000_0000_0000n | (0x1000_0000n >> 2n) | 0xc7n);
    expect(leafAt(pt, 0x2000).entry).toBe(0x7000_0000_0000_0000n | (0x8000_0000n >> 2n) | 0xc7n);
    expect(pt.query(0x1000)?.flags).toBe(RW);
    for (const e of walkAll(pt).filter((x) => !x.leaf)) expect(e.entry >> 54n).toBe(0n);
    pt.protect(0x1000, READ);
    expect(leafAt(pt, 0x1000).entry >> 60n).toBe(0x7n);
  });

  it('keeps Svpbmt memory types through the walker and reads them back', () => {
    const pt = cls.create(ram(), { svpbmt: true });
    pt.map(0x1000, 0x1000_0000, PageSize.Size4K, RW | DEVICE);
    pt.map(0x2000, 0x8000_0000, PageSize.Size4K, RW | UNCACHED);
    expect(leafAt(pt, 0x1000).entry >> 61n).toBe(2n);
    expect(leafAt(pt, 0x2000).entry >> 61n).toBe(1n);
    expect(pt.query(0x1000)?.flags).toBe(RW | DEVICE);
    expect(pt.query(0x2000)?.flags).toBe(RW | UNCACHED);
  });
});

describe('Sv39 specifics', () => {
  it('puts 1 GiB leaves in its root table', () => {
    const h = ram();
    const pt = Sv39PageTable.create(h);
    pt.mapRegion(0, 0, 4 * PageSize.Size1G, RW, true);
    const all = walkAll(pt);
    expect(all).toHaveLength(4);
    expect(all.every((e) => e.leaf && e.depth === 0 && e.size === PageSize.Size1G)).toBe(true);
    expect(h.framesInUse).toBe(1);
  });

  it('refuses a VA canonical in Sv48 but not in Sv39', () => {
    const sv39 = Sv39PageTable.create(ram());
    const sv48 = Sv48PageTable.create(ram());
    for (const va of [0x40_0000_0000, 0x7fff_ffff_f000, 0xffff_8000_0000_0000n, 0xffff_ffbf_ffff_f000n]) {
      expect(kind(() => sv48.map(va, 0x1000, PageSize.Size4K, READ))).toBe('ok');
      expect(kind(() => sv39.map(va, 0x1000, PageSize.Size4K, READ))).toBe('InvalidAddress');
      expect(kind(() => sv39.query(va))).toBe('InvalidAddress');
    }
    expect(walkAll(sv39)).toHaveLength(0);
  });

  it('refuses a VA canonical in Sv57 but not in Sv48', () => {
    const sv48 = Sv48PageTable.create(ram());
    const sv57 = Sv57PageTable.create(ram());
    for (const va of [0x8000_0000_0000, 0xff80_0000_0000_0000n]) {
      expect(kind(() => sv57.map(va, 0x1000, PageSize.Size4K, READ))).toBe('ok');
      expect(kind(() => sv48.map(va, 0x1000, PageSize.Size4K, READ))).toBe('InvalidAddress');
    }
  });
});

describe('adoption (fromRoot)', () => {
  it('reads and extends tables another instance wrote', () => {
    const h = ram();
    const a = Sv48PageTable.create(h);
    a.map(0xffff_8000_0020_0000n, 0x8000_0000, PageSize.Size2M, RX);
    a.map(0x1000, 0x9000_0000, PageSize.Size4K, RW | USER);
    const { mode, asid, root } = parseSatp(a.satp(7));
    expect([mode, asid]).toEqual([SatpMode.Sv48, 7]);
    const b = Sv48PageTable.fromRoot(h, root);
    expect(b.rootPaddr).toBe(a.rootPaddr);
    expect(b.query(0xffff_8000_0030_0000n)).toEqual({ paddr: 0x8010_0000, flags: RX, size: PageSize.Size2M });
    expect(b.query(0x1fff)).toEqual({ paddr: 0x9000_0fff, flags: RW | USER, size: PageSize.Size4K });
    const before = h.framesInUse;
    b.map(0x40_0000_0000, 0xa000_0000, PageSize.Size4K, READ);
    expect(a.query(0x40_0000_0000)?.paddr).toBe(0xa000_0000);
    const grown = h.framesInUse;
    expect(grown).toBeGreaterThan(before);
    b.destroy(); // not owned: the tree, with the tables b added, stays with its owner
    expect(h.framesInUse).toBe(grown);
    expect(a.query(0x1000)?.paddr).toBe(0x9000_0000);
    a.destroy();
    expect(h.framesInUse).toBe(0);
  });

  it('adopts a tree written by hand, as a guest kernel would lay it out', () => {
    const h = new RamHandler({ base: 0, size: 1 << 20, allocRange: [512 << 10, 1 << 20] });
    const w = h.words;
    const put = (tablePa: number, index: number, entry: bigint) => {
      const i = (tablePa + index * 8) / 4;
      w[i] = Number(entry & 0xffff_ffffn);
      w[i + 1] = Number(entry >> 32n);
    };
    // Sv39 root at 0x1000: entry 2 is a 1 GiB kernel leaf, entry 0 links to 0x2000, which links to 0x3000.
    put(0x1000, 2, (0x8000_0000n >> 2n) | 0xcfn); // V|R|W|X|A|D
    put(0x1000, 0, RV64_PTE.newTable(0x2000));
    put(0x2000, 0, RV64_PTE.newTable(0x3000));
    put(0x3000, 5, (0x8765_4000n >> 2n) | 0x13n); // V|R|U, no A/D: hardware sets them (or faults)
    put(0x3000, 6, (0x8765_5000n >> 2n) | 0x0en); // not valid: a hole
    const guestSatp = (8n << 60n) | (1n << 44n) | 0x1n;
    const pt = Sv39PageTable.fromRoot(h, parseSatp(guestSatp).root);
    expect(pt.query(0x8123_4567)).toEqual({ paddr: 0x8123_4567, flags: RW | EXECUTE, size: PageSize.Size1G });
    expect(pt.query(0x5abc)).toEqual({ paddr: 0x8765_4abc, flags: READ | USER, size: PageSize.Size4K });
    expect(pt.query(0x6000)).toBeUndefined();
    expect([...pt.mappings()].map((m) => [m.va, m.size])).toEqual([
      [0x5000, 0x1000],
      [0x8000_0000, 0x4000_0000],
    ]);
  });

  it('adopts with the XuanTie codec', () => {
    const h = ram();
    const a = Sv39PageTable.create(h, { xuantie: true });
    a.map(0x1000, 0x1000_0000, PageSize.Size4K, RW | DEVICE);
    const b = Sv39PageTable.fromRoot(h, a.rootPaddr, { xuantie: true });
    expect(b.meta).toBe(a.meta);
    b.map(0x2000, 0x1000_1000, PageSize.Size4K, RW | DEVICE);
    expect(leafAt(a, 0x2000).entry >> 60n).toBe(0xan);
  });
});

describe('deliberate fixes through the walker', () => {
  it.each([
    { name: 'WRITE', flags: WRITE, upstream: '0x…c5 (V|W|A|D, reserved)' },
    { name: 'WRITE|EXECUTE', flags: WRITE | EXECUTE, upstream: '0x…cd (V|W|X|A|D, reserved)' },
    { name: 'WRITE|USER', flags: WRITE | USER, upstream: '0x…d5 (V|W|U|A|D, reserved)' },
  ])('refuses $name where upstream writes $upstream', ({ flags, upstream }) => {
    expect(RV64_PTE.newPage(0x8000_0000, flags, false).toString(16).slice(-2)).toBe(upstream.slice(3, 5));
    const h = ram();
    const pt = Sv39PageTable.create(h);
    expect(kind(() => pt.map(0x1000, 0x8000_0000, PageSize.Size4K, flags))).toBe('UnsupportedFlags');
    expect(kind(() => pt.mapRegion(0x1000, 0x8000_0000, 0x4000, flags, false))).toBe('UnsupportedFlags');
    expect(walkAll(pt)).toHaveLength(0);
    expect(h.framesInUse).toBe(1);
    pt.map(0x1000, 0x8000_0000, PageSize.Size4K, RW);
    const raw = leafAt(pt, 0x1000).entry;
    expect(kind(() => pt.protect(0x1000, flags))).toBe('UnsupportedFlags');
    expect(kind(() => pt.protectRegion(0, 0x4000, flags))).toBe('UnsupportedFlags');
    expect(kind(() => pt.remap(0x1000, 0x9000_0000, flags))).toBe('UnsupportedFlags');
    expect(leafAt(pt, 0x1000).entry).toBe(raw);
  });

  it('refuses protect to no access (upstream: a debug-build panic, 0x…00 non-valid entry in release)', () => {
    const pt = Sv48PageTable.create(ram());
    pt.map(0x1000, 0x8000_0000, PageSize.Size4K, READ);
    expect(kind(() => pt.protect(0x1000, 0))).toBe('UnsupportedFlags');
    expect(kind(() => pt.protect(0x1000, USER | DEVICE))).toBe('UnsupportedFlags');
    expect(pt.query(0x1000)?.flags).toBe(READ);
  });

  it('accepts execute-only and ignores DEVICE/UNCACHED without a memory-type option', () => {
    const pt = Sv57PageTable.create(ram());
    pt.map(0x1000, 0x8000_0000, PageSize.Size4K, EXECUTE);
    expect(pt.query(0x1000)?.flags).toBe(EXECUTE);
    pt.map(0x2000, 0x1000_0000, PageSize.Size4K, RW | DEVICE | UNCACHED);
    expect(pt.query(0x2000)?.flags).toBe(RW);
    expect(leafAt(pt, 0x2000).entry).toBe((0x1000_0000n >> 2n) | 0xc7n);
  });

  it('leaves nothing behind when a region fails halfway', () => {
    const h = ram();
    const pt = Sv39PageTable.create(h);
    pt.map(0x40_3000, 0x5000, PageSize.Size4K, READ);
    const used = h.framesInUse;
    expect(kind(() => pt.mapRegion(0x20_0000, 0x8000_0000, 0x40_0000, RW, false))).toBe('AlreadyMapped');
    expect(h.framesInUse).toBe(used);
    expect([...pt.mappings()]).toHaveLength(1);
  });
});
