/**
 * The same scenarios on every page-table type. Where an architecture differs
 * on purpose, the difference comes from the data in `arches.ts`, never from
 * an `if` on its name here.
 */
import { MappingFlags as F, PageSize, type PageTable64, PagingError, RamHandler } from '@page-table/core';
import { kindOf, sameMemory } from '@page-table/test-support';
import { describe, expect, it } from 'vitest';
import { ARCHES, type ArchCase, accepts, canon, endVa, firstVa, highHalfStart, lowHalfEnd } from './arches.js';

const RW = F.READ | F.WRITE;
const SIZES = [PageSize.Size4K, PageSize.Size2M, PageSize.Size1G] as const;

/** The kind of PagingError `fn` throws, or 'ok'. */
const kind = kindOf(PagingError);

function setup(arch: ArchCase, size = 4 << 20): { ram: RamHandler; pt: PageTable64 } {
  const ram = new RamHandler({ base: 0, size });
  return { ram, pt: arch.create(ram) };
}

/** The VA `offset` bytes into the first half the table translates. */
function at(arch: ArchCase, offset: number | bigint): number | bigint {
  return canon(firstVa(arch) + BigInt(offset));
}

/** Edge VAs of each half the table translates: its start, a low address, its top. */
function places(arch: ArchCase, size: number): Array<[string, bigint]> {
  const s = BigInt(size);
  const out: Array<[string, bigint]> = [];
  if (arch.halves.includes('low'))
    out.push(['low', 0x40_0000_0000n % lowHalfEnd(arch)], ['top of the low half', lowHalfEnd(arch) - s]);
  if (arch.halves.includes('high'))
    out.push(['start of the high half', highHalfStart(arch)], ['top of the address space', (1n << 64n) - s]);
  return out;
}

describe.each(ARCHES)('$name', (arch) => {
  it.each(SIZES)('maps, queries, protects, remaps and unmaps a %i-byte page everywhere', (size) => {
    for (const [, at] of places(arch, size)) {
      const { ram, pt } = setup(arch);
      const va = canon(at);
      const pa = size * 3;
      pt.map(va, pa, size, RW);
      expect(pt.query(canon(at + BigInt(size - 8)))).toEqual({ paddr: pa + size - 8, flags: arch.normalize(RW), size });
      expect(pt.query(canon(at ^ BigInt(size)))).toBeUndefined(); // the neighbour in the same half
      expect(kind(() => pt.map(va, pa, size, RW))).toBe('AlreadyMapped');
      expect(pt.protect(va, F.READ)).toBe(size);
      expect(pt.query(va)?.flags).toBe(arch.normalize(F.READ));
      expect(pt.remap(va, pa * 2, RW | F.EXECUTE)).toBe(size);
      expect(pt.unmap(va)).toEqual({ paddr: pa * 2, flags: arch.normalize(RW | F.EXECUTE), size });
      expect(pt.query(va)).toBeUndefined();
      expect(kind(() => pt.unmap(va))).toBe('NotMapped');
      pt.destroy();
      expect(ram.framesInUse).toBe(0);
    }
  });

  it('accepts exactly the flag sets the data says it can encode, and reads them back normalised', () => {
    const { ram, pt } = setup(arch);
    for (let flags = 0; flags < 64; flags++) {
      const before = ram.words.slice();
      const r = kind(() => pt.map(at(arch, 0x1000), 0x2000, PageSize.Size4K, flags));
      if (accepts(arch, flags)) {
        expect(r, `flags ${flags}`).toBe('ok');
        expect(pt.query(at(arch, 0x1000))?.flags).toBe(arch.normalize(flags));
        pt.unmap(at(arch, 0x1000));
      } else {
        expect(r, `flags ${flags}`).toBe('UnsupportedFlags');
        expect(sameMemory(ram.words, before)).toBe(true);
      }
    }
  });

  it('rejects non-canonical VAs and PAs past its width', () => {
    const { pt } = setup(arch);
    expect(kind(() => pt.map(canon(lowHalfEnd(arch)), 0, PageSize.Size4K, RW))).toBe('InvalidAddress');
    expect(kind(() => pt.map(canon(highHalfStart(arch) - 0x1000n), 0, PageSize.Size4K, RW))).toBe('InvalidAddress');
    expect(kind(() => pt.query(canon(lowHalfEnd(arch))))).toBe('InvalidAddress');
    expect(kind(() => pt.map(at(arch, 0x1000), canon(1n << BigInt(arch.paBits)), PageSize.Size4K, RW))).toBe(
      'InvalidAddress',
    );
    expect(
      kind(() => pt.map(at(arch, 0x1000), canon((1n << BigInt(arch.paBits)) - 0x1000n), PageSize.Size4K, RW)),
    ).toBe('ok');
  });

  it('maps regions with and without huge pages across table boundaries, and steps over holes', () => {
    const { ram, pt } = setup(arch, 8 << 20);
    // 1 GiB - 8 KiB .. 2 GiB + 2 MiB + 8 KiB: 4K pages, then a 1G block, a 2M block, 4K pages.
    const b = firstVa(arch);
    const start = 0x4000_0000 - 0x2000;
    const size = 0x4000_0000 + 0x20_0000 + 0x4000;
    pt.mapRegion(at(arch, start), start, size, RW, true);
    const runs = [...pt.mappings()].map((m) => [m.va, m.size, m.pageSize]);
    expect(runs).toEqual([
      [at(arch, start), 0x2000, PageSize.Size4K],
      [at(arch, 0x4000_0000), 0x4000_0000, PageSize.Size1G],
      [at(arch, 0x8000_0000), 0x20_0000, PageSize.Size2M],
      [at(arch, 0x8020_0000), 0x2000, PageSize.Size4K],
    ]);
    // The same region with 4K pages only crosses last-level tables.
    const { pt: small } = setup(arch, 8 << 20);
    small.mapRegion(at(arch, 0x1ff000), 0x1ff000, 0x3000, RW, false);
    expect([...small.mappings()]).toEqual([
      { va: at(arch, 0x1ff000), pa: 0x1ff000, size: 0x3000, pageSize: PageSize.Size4K, flags: arch.normalize(RW) },
    ]);
    // Holes are stepped over; a block crossing an edge is refused without a change.
    pt.unmap(at(arch, 0x8020_0000));
    const before = ram.words.slice();
    expect(kind(() => pt.unmapRegion(at(arch, 0x4000_0000), 0x1000))).toBe('MappedToHugePage');
    expect(kind(() => pt.protectRegion(at(arch, 0x8000_1000), 0x1000, F.READ))).toBe('MappedToHugePage');
    expect(sameMemory(ram.words, before)).toBe(true);
    pt.protectRegion(canon(b), 0x1_0000_0000, F.READ);
    expect([...pt.mappings()].every((m) => m.flags === arch.normalize(F.READ))).toBe(true);
    pt.unmapRegion(canon(b), 0x1_0000_0000);
    expect([...pt.mappings()]).toEqual([]);
  });

  it('maps a region ending at the top of what the table translates', () => {
    const { pt } = setup(arch);
    const top = endVa(arch) - 0x40_0000n;
    pt.mapRegion(canon(top), 0x80_0000, 0x40_0000, RW, true);
    expect([...pt.mappings()]).toEqual([
      { va: canon(top), pa: 0x80_0000, size: 0x40_0000, pageSize: PageSize.Size2M, flags: arch.normalize(RW) },
    ]);
    expect(pt.query(top + 0x20_0000n)?.size).toBe(PageSize.Size2M);
    expect(pt.query(canon(endVa(arch) - 1n))?.paddr).toBe(0xbf_ffff);
  });

  it('fills every entry of a last-level table and of the root', () => {
    const { ram, pt } = setup(arch, 16 << 20);
    pt.mapRegion(at(arch, 0x20_0000), 0x40_0000, 0x20_0000, RW, false); // 512 pages: one full last-level table
    expect(pt.query(at(arch, 0x3f_f000))?.paddr).toBe(0x5f_f000);
    const rootSpan = 1n << BigInt(12 + 9 * (arch.levels - 1));
    let roots = 0;
    for (let i = 0n; i < 512n; i++) {
      const va = i * rootSpan + 0x1000n;
      const inLow = va < lowHalfEnd(arch);
      const full = inLow ? va : va - (1n << BigInt(12 + 9 * arch.levels)) + (1n << 64n);
      if (!arch.halves.includes(inLow ? 'low' : 'high')) continue;
      if (i === 0n) continue; // holds the full table above
      pt.map(canon(full), 0x1000, PageSize.Size4K, F.READ);
      roots++;
    }
    const leaves: number[] = [];
    pt.walk((e) => {
      if (e.depth === 0) leaves.push(e.index);
    });
    expect(leaves.length).toBe(roots + 1);
    expect([...pt.mappings()].length).toBe(roots + 1);
    pt.destroy();
    expect(ram.framesInUse).toBe(0);
  });

  it('fails a region on allocation failure with RAM and frames exactly as before', () => {
    for (const spare of [0, 1, 2, 4]) {
      const frames = arch.levels + spare; // the root and one path of tables, then a few spare
      const ram = new RamHandler({ base: 0, size: 1 << 20, allocRange: [0x1000, 0x1000 + frames * 0x1000] });
      const pt = arch.create(ram);
      pt.map(at(arch, 0x1000), 0x1000, PageSize.Size4K, RW);
      const used = ram.framesInUse;
      const before = ram.words.slice();
      // Crosses 1 GiB boundaries: needs more tables than there are frames.
      const r = kind(() => pt.mapRegion(at(arch, 0x3ff0_0000), 0, 0x4020_0000, RW, false));
      expect(r).toBe('NoMemory');
      expect(ram.framesInUse).toBe(used);
      expect(sameMemory(ram.words, before)).toBe(true);
      pt.destroy();
      expect(ram.framesInUse).toBe(0);
    }
  });

  it('adopts tables written by another instance with fromRoot', () => {
    const { ram, pt } = setup(arch);
    pt.mapRegion(at(arch, 0x20_0000), 0x60_0000, 0x60_0000, RW | F.USER, true);
    pt.map(canon(endVa(arch) - 0x4000_0000n), 0x4000_0000, PageSize.Size1G, F.READ | F.EXECUTE);
    const adopted = arch.fromRoot(ram, pt.rootPaddr);
    expect([...adopted.mappings()]).toEqual([...pt.mappings()]);
    adopted.map(at(arch, 0x1000), 0x9000, PageSize.Size4K, RW);
    expect(pt.query(at(arch, 0x1000))?.paddr).toBe(0x9000);
    adopted.destroy();
    pt.destroy();
    expect(ram.framesInUse).toBe(0);
  });

  it('shares its top root entries with copyFrom and frees every frame exactly once', () => {
    const { ram, pt: kernel } = setup(arch);
    // The high half, or for a table of the low half only, its last root entry.
    const rootSpan = 1n << BigInt(12 + 9 * (arch.levels - 1));
    const high = arch.halves.includes('high') ? highHalfStart(arch) : lowHalfEnd(arch) - rootSpan;
    kernel.mapRegion(canon(high), 0x20_0000, 0x40_0000, RW, false);
    const users = [arch.create(ram), arch.create(ram)];
    for (const [i, u] of users.entries()) {
      u.map(at(arch, 0x1000 * (i + 1)), 0x5000, PageSize.Size4K, RW | F.USER);
      u.copyFrom(kernel, canon(high), canon(endVa(arch) - high));
      expect(u.query(canon(high + 0x1234n))?.paddr).toBe(0x20_1234);
      expect(u.pendingFlush).toBe('full');
    }
    kernel.map(canon(high + 0x40_0000n), 0x9000, PageSize.Size4K, RW);
    expect(users[1].query(canon(high + 0x40_0000n))?.paddr).toBe(0x9000);
    for (const u of users) u.destroy();
    kernel.destroy();
    expect(ram.framesInUse).toBe(0);
  });

  it('records TLB maintenance: each VA up to 32, then one full flush', () => {
    const ram = new RamHandler({ base: 0, size: 4 << 20 });
    const pt = arch.create(ram);
    for (let i = 0; i < 3; i++) pt.map(at(arch, 0x1000 * (i + 1)), 0x1000, PageSize.Size4K, RW);
    expect(pt.pendingFlush).toEqual([at(arch, 0x1000), at(arch, 0x2000), at(arch, 0x3000)]);
    pt.flush();
    for (let i = 0; i < 33; i++) pt.protect(at(arch, 0x1000 * ((i % 3) + 1)), F.READ);
    expect(pt.pendingFlush).toBe('full');
    pt.flush();
    expect(pt.pendingFlush).toEqual([]);
  });
});
