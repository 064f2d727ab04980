import { kindOf, sameMemory } from '@page-table/test-support';
import { describe, expect, it } from 'vitest';
import { MappingFlags as F, PageSize, PageTable64, PagingError, RamHandler } from '../src/index.js';
import { TOY3, TOY4, TOY5 } from './toy-arch.js';

const RW = F.READ | F.WRITE;

function setup(meta = TOY4, size = 16 << 20) {
  const ram = new RamHandler({ base: 0, size });
  const pt = new PageTable64(meta, ram, PageTable64.allocRoot(ram), true);
  return { ram, pt };
}

/** The kind of PagingError `fn` throws, or 'ok'. */
const kind = kindOf(PagingError);

describe('PageTable64 basics', () => {
  it('maps, queries, protects, remaps and unmaps a 4K page', () => {
    const { ram, pt } = setup();
    pt.map(0xdead_beef_000, 0x2000, PageSize.Size4K, RW);
    expect(pt.query(0xdead_beef_123)).toEqual({ paddr: 0x2123, flags: RW, size: PageSize.Size4K });
    expect(pt.queryPa(0xdead_beef_008)).toBe(0x2008);
    expect(pt.lastFlags).toBe(RW);
    expect(pt.query(0xdead_bef0_000)).toBeUndefined();
    expect(pt.queryPa(0xdead_bef0_000)).toBe(-1);
    expect(ram.framesInUse).toBe(4);
    pt.protect(0xdead_beef_000, F.READ);
    expect(pt.query(0xdead_beef_000)?.flags).toBe(F.READ);
    pt.remap(0xdead_beef_000, 0x5000, RW | F.EXECUTE);
    expect(pt.query(0xdead_beef_000)).toEqual({ paddr: 0x5000, flags: RW | F.EXECUTE, size: 4096 });
    expect(pt.unmap(0xdead_beef_000)).toEqual({ paddr: 0x5000, flags: RW | F.EXECUTE, size: 4096 });
    expect(pt.query(0xdead_beef_000)).toBeUndefined();
    expect(kind(() => pt.unmap(0xdead_beef_000))).toBe('NotMapped');
    pt.destroy();
    expect(ram.framesInUse).toBe(0);
  });

  it('rejects bad input without changing anything', () => {
    const { ram, pt } = setup();
    const before = ram.bytes.slice();
    expect(kind(() => pt.map(0x1001, 0x2000, PageSize.Size4K, RW))).toBe('NotAligned');
    expect(kind(() => pt.map(0x1000, 0x2001, PageSize.Size4K, RW))).toBe('NotAligned');
    expect(kind(() => pt.map(0x20_1000, 0x20_0000, PageSize.Size2M, RW))).toBe('NotAligned');
    expect(kind(() => pt.map(0x8000_0000_0000, 0x2000, PageSize.Size4K, RW))).toBe('InvalidAddress');
    expect(kind(() => pt.map(0x1000, 2 ** 52, PageSize.Size4K, RW))).toBe('InvalidAddress');
    expect(kind(() => pt.map(0x1000, 0x2000, PageSize.Size4K, 0))).toBe('UnsupportedFlags');
    expect(kind(() => pt.map(0x1000, 0x2000, PageSize.Size4K, 64))).toBe('UnsupportedFlags');
    expect(kind(() => pt.map(1.5, 0x2000, PageSize.Size4K, RW))).toBe('InvalidAddress');
    expect(sameMemory(ram.bytes, before)).toBe(true);
    expect(ram.framesInUse).toBe(1);
  });

  it('handles high-half bigint VAs and sign-extends them in walk and mappings', () => {
    const { pt } = setup();
    const hv = 0xffff_ffff_8000_0000n;
    pt.map(hv, 0x20_0000, PageSize.Size2M, RW);
    expect(pt.query(hv + 0x1234n)).toEqual({ paddr: 0x20_1234, flags: RW, size: PageSize.Size2M });
    expect([...pt.mappings()]).toEqual([
      { va: hv, pa: 0x20_0000, size: 0x20_0000, pageSize: PageSize.Size2M, flags: RW },
    ]);
    const seen: bigint[] = [];
    pt.walk((e) => {
      if (e.leaf) seen.push(BigInt(e.va));
    });
    expect(seen).toEqual([hv]);
  });

  it('rolls back tables on allocation failure', () => {
    const ram = new RamHandler({ base: 0, size: 16 << 20, allocRange: [0x1000, 0x3000] });
    const pt = new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true);
    const before = ram.bytes.slice();
    expect(kind(() => pt.map(0x1000, 0x2000, PageSize.Size4K, RW))).toBe('NoMemory');
    expect(sameMemory(ram.bytes, before)).toBe(true);
    expect(ram.framesInUse).toBe(1);
  });

  it('maps regions with huge pages, all or nothing', () => {
    const { ram, pt } = setup(TOY4, 64 << 20);
    pt.mapRegion(0x4000_0000, 0x4000_0000, 0x4020_3000, RW, true);
    const m = [...pt.mappings()];
    expect(m.map((x) => [x.va, x.size, x.pageSize])).toEqual([
      [0x4000_0000, 0x4000_0000, PageSize.Size1G],
      [0x8000_0000, 0x20_0000, PageSize.Size2M],
      [0x8020_0000, 0x3000, PageSize.Size4K],
    ]);
    const used = ram.framesInUse;
    const before = ram.bytes.slice();
    // Overlaps the last 4K page: nothing of it may stay.
    expect(kind(() => pt.mapRegion(0x9000_0000 - 0x1000_0000 + 0x20_0000, 0x1000, 0x3000, RW))).toBe('AlreadyMapped');
    expect(sameMemory(ram.bytes, before)).toBe(true);
    expect(ram.framesInUse).toBe(used);
    expect(kind(() => pt.unmapRegion(0x8000_0000 + 0x1000, 0x1000))).toBe('MappedToHugePage');
    pt.protectRegion(0, 0x1_0000_0000, F.READ);
    expect(pt.query(0x8020_2000)?.flags).toBe(F.READ);
    pt.unmapRegion(0, 0x1_0000_0000);
    expect([...pt.mappings()]).toEqual([]);
    pt.destroy();
    expect(ram.framesInUse).toBe(0);
  });

  it('works with 3 and 5 levels', () => {
    const a = setup(TOY3);
    a.pt.map(0x40_0000_0000 - 0x4000_0000, 0x4000_0000, PageSize.Size1G, RW);
    expect(a.pt.query(0x3f_c000_0123)?.paddr).toBe(0x4000_0123);
    expect(kind(() => a.pt.map(0x40_0000_0000, 0, PageSize.Size4K, RW))).toBe('InvalidAddress');
    const b = setup(TOY5);
    const top = 0xffff_ffff_ffff_f000n;
    b.pt.map(top, 0x3000, PageSize.Size4K, RW);
    expect(b.pt.query(top + 0xfffn)?.paddr).toBe(0x3fff);
    expect([...b.pt.mappings()][0].va).toBe(top);
    expect(kind(() => b.pt.map(0xff00_0000_0000_0000n - 0x1000n, 0, PageSize.Size4K, RW))).toBe('InvalidAddress');
  });

  it('shares subtrees with copyFrom and frees them once', () => {
    const { ram, pt } = setup();
    pt.map(0xffff_8000_0000_0000n, 0x5000, PageSize.Size4K, RW);
    const other = new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true);
    other.map(0x1000, 0x6000, PageSize.Size4K, RW);
    other.copyFrom(pt, 0xffff_8000_0000_0000n, 0x80_0000_0000);
    expect(other.query(0xffff_8000_0000_0000n)?.paddr).toBe(0x5000);
    expect(other.pendingFlush).toBe('full');
    other.destroy();
    pt.destroy();
    expect(ram.framesInUse).toBe(0);
  });

  it('adopts an existing root and leaves the tree to its owner', () => {
    const { ram, pt } = setup();
    pt.map(0x1000, 0x5000, PageSize.Size4K, RW);
    const adopted = new PageTable64(TOY4, ram, pt.rootPaddr, false);
    expect(adopted.query(0x1000)?.paddr).toBe(0x5000);
    adopted.map(0x80_0000_0000, 0x6000, PageSize.Size4K, RW);
    expect(ram.framesInUse).toBe(7);
    adopted.destroy();
    expect(ram.framesInUse).toBe(7);
    pt.destroy();
    expect(ram.framesInUse).toBe(0);
    expect(kind(() => new PageTable64(TOY4, ram, 0x1001 as never, false))).toBe('NotAligned');
    expect(kind(() => new PageTable64(TOY4, ram, (64 << 20) as never, false))).toBe('InvalidAddress');
  });

  it('records TLB flushes up to 32 VAs, then a full flush', () => {
    const ram = new RamHandler({ base: 0, size: 16 << 20 });
    const calls: unknown[] = [];
    const pt = new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true, { flushTlb: (v) => calls.push(v) });
    pt.map(0x1000, 0x1000, PageSize.Size4K, RW);
    pt.flush();
    expect(calls).toEqual([0x1000]);
    for (let i = 0; i < 33; i++) pt.map(0x10_0000 + i * 0x1000, 0x1000, PageSize.Size4K, RW);
    pt.flush();
    expect(calls).toEqual([0x1000, undefined]);
  });
});

describe('mappings() at the canonical hole', () => {
  it('never merges the last page of the low half with the first of the high half', () => {
    const ram = new RamHandler({ base: 0, size: 16 << 20 });
    const pt = new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true);
    pt.map(0x7fff_ffff_f000, 0x10_0000, PageSize.Size4K, RW);
    pt.map(0xffff_8000_0000_0000n, 0x10_1000, PageSize.Size4K, RW);
    expect([...pt.mappings()].map((m) => [m.va, m.size])).toEqual([
      [0x7fff_ffff_f000, 0x1000],
      [0xffff_8000_0000_0000n, 0x1000],
    ]);
  });
});
