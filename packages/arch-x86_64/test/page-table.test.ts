import { MappingFlags, PageSize, PagingError, RamHandler } from '@page-table/core';
import { pa, va } from '@page-table/memory-addr';
import { kindOf } from '@page-table/test-support';
import { describe, expect, it, vi } from 'vitest';
import { X64_PTE, X64PageTable, X64PageTable5 } from '../src/index.js';

const { READ: R, WRITE: W, EXECUTE: X, USER: U, DEVICE: DEV, UNCACHED: UC } = MappingFlags;
const SIZES = [PageSize.Size4K, PageSize.Size2M, PageSize.Size1G] as const;
const PS = 1n << 7n;
const XD = 1n << 63n;

function ram16(): RamHandler {
  return new RamHandler({ base: 0, size: 16 << 20 });
}

/** The kind of PagingError `fn` throws, or 'ok'. */
const kind = kindOf(PagingError);

/** Offsets where two RAM snapshots differ (a cheap stand-in for deep equality on 16 MiB). */
function diff(a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length && out.length < 8; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

/** The raw entry of every level from the root down to `level` (0 = PT) for a VA, read straight from RAM. */
function entries(ram: RamHandler, root: number | bigint, levels: number, v: bigint, down = 0): bigint[] {
  const out: bigint[] = [];
  let table = BigInt(root);
  for (let level = levels - 1; level >= down; level--) {
    const index = (v >> BigInt(12 + 9 * level)) & 511n;
    const e = ram.read64(table + index * 8n);
    out.push(e);
    table = e & 0x000f_ffff_ffff_f000n;
  }
  return out;
}

describe('reference example', () => {
  it('maps a 4K page and queries it back', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});

    const ram = new RamHandler({ base: 0, size: 16 << 20 });
    const pt = X64PageTable.create(ram);
    const flags = MappingFlags.READ | MappingFlags.WRITE;
    pt.map(va(0xdead_beef_000), pa(0x2000), PageSize.Size4K, flags);
    console.log(pt.query(va(0xdead_beef_000))); // { paddr: 0x2000, flags: READ|WRITE, size: Size4K }

    expect(log).toHaveBeenCalledWith({ paddr: 0x2000, flags: 3, size: 4096 });
    log.mockRestore();

    // In RAM: three open table links (P|R/W|U/S) and a writable, non-executable PTE.
    const path = entries(ram, pt.rootPaddr, 4, 0xdead_beef_000n);
    expect(path.slice(0, 3).map((e) => e & 0xfffn)).toEqual([0x007n, 0x007n, 0x007n]);
    expect(path[3]).toBe(XD | 0x2000n | 0x3n);
    expect(ram.framesInUse).toBe(4);
    pt.destroy();
    expect(ram.framesInUse).toBe(0);
  });
});

describe.each([
  ['4-level', X64PageTable, 4],
  ['5-level (LA57)', X64PageTable5, 5],
] as const)('%s: map, query, protect, remap, unmap at every page size', (_name, Table, levels) => {
  it.each(SIZES)('size %i', (size) => {
    const ram = ram16();
    const pt = Table.create(ram);
    const v = 0x40_0000_0000 + size; // aligned to every size, a few GiB up
    const target = 2 * size;
    pt.map(v, target, size, R | W | U);
    expect(pt.query(v + size - 8)).toEqual({ paddr: target + size - 8, flags: R | W | U, size });
    expect(pt.query(v - 4096)).toBeUndefined();
    const leafLevel = SIZES.indexOf(size);
    const path = entries(ram, pt.rootPaddr, levels, BigInt(v), leafLevel);
    const leaf = path[path.length - 1];
    expect(leaf).toBe(XD | BigInt(target) | 0x7n | (size === PageSize.Size4K ? 0n : PS));
    for (const link of path.slice(0, -1)) expect(link & 0xfffn).toBe(0x007n);

    expect(pt.protect(v + size - 4096, R | X)).toBe(size);
    expect(pt.query(v)).toEqual({ paddr: target, flags: R | X, size });
    expect(pt.remap(v, 3 * size, R | W | X | DEV)).toBe(size);
    expect(pt.query(v)).toEqual({ paddr: 3 * size, flags: R | W | X | UC, size });
    expect(pt.unmap(v + size - 4096)).toEqual({ paddr: 3 * size, flags: R | W | X | UC, size });
    expect(pt.query(v)).toBeUndefined();
    expect(kind(() => pt.unmap(v))).toBe('NotMapped');
    pt.destroy();
    expect(ram.framesInUse).toBe(0);
  });
});

describe('addresses at the edges', () => {
  it('maps a high-half VA given as a bigint (PML4 index 256)', () => {
    const ram = ram16();
    const pt = X64PageTable.create(ram);
    const kernel = 0xffff_8000_0000_0000n;
    pt.map(kernel, 0x20_0000, PageSize.Size2M, R | W);
    expect(pt.query(kernel + 0x1234n)).toEqual({ paddr: 0x20_1234, flags: R | W, size: PageSize.Size2M });
    expect(ram.read64(BigInt(pt.rootPaddr) + 256n * 8n) & 1n).toBe(1n);
    expect([...pt.mappings()]).toEqual([
      { va: kernel, pa: 0x20_0000, size: 0x20_0000, pageSize: PageSize.Size2M, flags: R | W },
    ]);
  });

  it('maps the top of the address space and the top of the lower half, at every size', () => {
    const ram = ram16();
    const top = 0x1_0000_0000_0000_0000n;
    for (const size of SIZES) {
      const each = X64PageTable.create(ram);
      each.map(top - BigInt(size), size, size, R);
      expect(each.query(top - 1n)).toEqual({ paddr: 2 * size - 1, flags: R, size });
      each.destroy();
    }
    const pt = X64PageTable.create(ram);
    pt.map(0x7fff_ffff_f000, 0x1000, PageSize.Size4K, R);
    expect(pt.query(0x7fff_ffff_ffff)?.paddr).toBe(0x1fff);
    expect(kind(() => pt.mapRegion(0x7fff_ffff_e000, 0x1000, 0x3000, R))).toBe('InvalidAddress');
    expect(kind(() => pt.mapRegion(top - 0x1000n, 0x1000, 0x2000, R))).toBe('InvalidAddress');
  });

  it('maps physical addresses above 2^32 up to the last frame of the 52-bit width', () => {
    const ram = ram16();
    const pt = X64PageTable.create(ram);
    pt.map(0x1000, 0x1_2345_6000, PageSize.Size4K, R);
    pt.map(0x2000, 0xf_ffff_ffff_f000, PageSize.Size4K, R);
    pt.map(0x4000_0000, 0xf_ffff_c000_0000, PageSize.Size1G, R);
    expect(pt.query(0x1008)?.paddr).toBe(0x1_2345_6008);
    expect(pt.query(0x2fff)?.paddr).toBe(0xf_ffff_ffff_ffff);
    expect(pt.query(0x7fff_ffff)?.paddr).toBe(0xf_ffff_ffff_ffff);
    expect(ram.read64(BigInt(entries(ram, pt.rootPaddr, 4, 0x2000n, 1)[2] & 0xffff_f000n) + 16n)).toBe(
      XD | 0xf_ffff_ffff_f001n,
    );
  });
});

describe('5-level paging (LA57)', () => {
  it('maps 57-bit high-half VAs given as bigints', () => {
    const ram = ram16();
    const pt = X64PageTable5.create(ram);
    const low57 = 0xff00_0000_0000_0000n; // lowest VA of the 57-bit upper half: PML5 index 256
    const top = 0xffff_ffff_ffff_f000n;
    pt.map(low57, 0x3000, PageSize.Size4K, R | W);
    pt.map(top, 0x4000, PageSize.Size4K, R | X);
    pt.map(0x00ff_ffff_ffe0_0000n, 0x20_0000, PageSize.Size2M, R); // top 2 MiB of the lower half
    expect(pt.query(low57 + 0xabcn)).toEqual({ paddr: 0x3abc, flags: R | W, size: 4096 });
    expect(pt.query(0xffff_ffff_ffff_ffffn)).toEqual({ paddr: 0x4fff, flags: R | X, size: 4096 });
    expect(pt.query(0x00ff_ffff_ffff_ffffn)?.paddr).toBe(0x3f_ffff);
    const root = BigInt(pt.rootPaddr);
    expect(ram.read64(root + 256n * 8n) & 0xfffn).toBe(0x007n);
    expect(ram.read64(root + 511n * 8n) & 0xfffn).toBe(0x007n);
    expect(ram.read64(root + 1n * 8n)).toBe(0n);
    expect([...pt.mappings()].map((m) => m.va)).toEqual([0x00ff_ffff_ffe0_0000n, low57, top]);
  });

  it('rejects VAs that are not 57-bit canonical with InvalidAddress', () => {
    const pt = X64PageTable5.create(ram16());
    for (const bad of [
      0x0100_0000_0000_0000n,
      0xfe00_0000_0000_0000n,
      0x8000_0000_0000_0000n,
      0xfeff_ffff_ffff_f000n,
    ]) {
      expect(kind(() => pt.map(bad, 0x1000, PageSize.Size4K, R))).toBe('InvalidAddress');
      expect(kind(() => pt.query(bad))).toBe('InvalidAddress');
    }
  });

  it('accepts 57-bit canonical VAs that 4-level paging rejects; every 48-bit canonical VA stays valid', () => {
    const pt4 = X64PageTable.create(ram16());
    const pt5 = X64PageTable5.create(ram16());
    for (const v of [0xff00_0000_0000_0000n, 0x0000_8000_0000_0000n, 0xffff_7fff_ffff_f000n, 0x00ff_ffff_ffff_f000n]) {
      expect(kind(() => pt4.map(v, 0x1000, PageSize.Size4K, R))).toBe('InvalidAddress');
      expect(kind(() => pt5.map(v, 0x1000, PageSize.Size4K, R))).toBe('ok');
    }
    // Every 48-bit canonical VA is also 57-bit canonical.
    for (const v of [0xffff_8000_0000_0000n, 0x7fff_ffff_f000n]) {
      expect(kind(() => pt4.map(v, 0x1000, PageSize.Size4K, R))).toBe('ok');
      expect(kind(() => pt5.map(v, 0x1000, PageSize.Size4K, R))).toBe('ok');
    }
  });
});

describe('fromRoot: adopting tables already in memory', () => {
  it('reads and extends tables written by another instance, leaving the tree to its owner', () => {
    const ram = ram16();
    const a = X64PageTable.create(ram);
    a.map(0x1000, 0x5000, PageSize.Size4K, R | W);
    a.map(0x20_0000, 0x40_0000, PageSize.Size2M, R | X | U);
    a.map(0xffff_ffff_c000_0000n, 0x8000_0000, PageSize.Size1G, R | W | DEV);
    const before = ram.framesInUse;

    const b = X64PageTable.fromRoot(ram, a.rootPaddr);
    expect(b.rootPaddr).toBe(a.rootPaddr);
    expect([...b.mappings()]).toEqual([...a.mappings()]);
    expect(b.query(0x1234)).toEqual({ paddr: 0x5234, flags: R | W, size: 4096 });
    expect(b.query(0xffff_ffff_c000_0010n)).toEqual({ paddr: 0x8000_0010, flags: R | W | UC, size: PageSize.Size1G });

    b.map(0x1_0000_0000, 0x6000, PageSize.Size4K, R); // needs a new PDPT entry's PD and PT
    expect(a.query(0x1_0000_0000)?.paddr).toBe(0x6000);
    b.unmap(0x1_0000_0000);
    const grown = ram.framesInUse;
    expect(grown).toBe(before + 2);
    b.destroy(); // not owned: the tree, with the tables b added, stays with its owner
    expect(ram.framesInUse).toBe(grown);
    expect(a.query(0x1000)?.paddr).toBe(0x5000);
    a.destroy();
    expect(ram.framesInUse).toBe(0);
  });

  it('walks a hand-written guest table with A, D, G and PAT bits set', () => {
    const ram = ram16();
    // PML4 at 0x10000 → PDPT at 0x11000 → PD at 0x12000 → PT at 0x13000, as a guest OS would write them.
    const A = 1n << 5n;
    const D = 1n << 6n;
    const G = 1n << 8n;
    ram.write64(0x10000, 0x11000n | A | 0x7n);
    ram.write64(0x11000 + 8, 0x12000n | A | 0x3n); // VA bit 30: 1 GiB
    ram.write64(0x12000 + 8 * 3, 0x13000n | 0x3n); // + 6 MiB
    ram.write64(0x13000 + 8 * 5, XD | 0x7_0000_0000n | G | D | A | 0x3n); // 4K page, writable, NX
    ram.write64(0x12000 + 8 * 4, 0x60_0000n | (1n << 12n) | PS | G | 0x1n); // 2 MiB page with PAT (bit 12), executable
    ram.write64(0x11000 + 8 * 2, 0x1_4000_0000n | PS | 0x1n | 0x10n); // 1 GiB page, PCD

    const guest = X64PageTable.fromRoot(ram, 0x10000);
    expect(guest.query(0x4060_5abc)).toEqual({ paddr: 0x7_0000_0abc, flags: R | W, size: 4096 });
    expect(guest.query(0x4081_2345)).toEqual({ paddr: 0x61_2345, flags: R | X, size: PageSize.Size2M });
    expect(guest.query(0x8000_0001)).toEqual({ paddr: 0x1_4000_0001, flags: R | X | UC, size: PageSize.Size1G });
    expect(guest.query(0x4000_0000)).toBeUndefined();
    const leaves: [number | bigint, number][] = [];
    guest.walk((e) => {
      if (e.leaf) leaves.push([e.va, e.size]);
    });
    expect(leaves).toEqual([
      [0x4060_5000, 0x1000],
      [0x4080_0000, 0x20_0000],
      [0x8000_0000, 0x4000_0000],
    ]);
  });

  it('adopts a 5-level root', () => {
    const ram = ram16();
    const a = X64PageTable5.create(ram);
    a.map(0xff00_0000_0020_0000n, 0x20_0000, PageSize.Size2M, R);
    const b = X64PageTable5.fromRoot(ram, BigInt(a.rootPaddr));
    expect(b.query(0xff00_0000_0020_0001n)?.paddr).toBe(0x20_0001);
  });
});

describe('deliberate differences from page_table_multiarch, through the walker', () => {
  it('non-canonical VA: InvalidAddress (upstream maps 0x8000_0000_0000 at PML4 index 256, ignoring bits 47..63)', () => {
    const ram = ram16();
    const pt = X64PageTable.create(ram);
    const before = ram.bytes.slice();
    for (const bad of [0x8000_0000_0000, 0xffff_7fff_ffff_f000n, 0x1_0000_0000_0000]) {
      expect(kind(() => pt.map(bad, 0x1000, PageSize.Size4K, R))).toBe('InvalidAddress');
    }
    expect(diff(ram.bytes, before)).toEqual([]);
  });

  it('PA at or above 2^52: InvalidAddress (upstream masks it: 2^52 + 0x5000 became PA 0x5000)', () => {
    const pt = X64PageTable.create(ram16());
    expect(X64_PTE.newPage(2n ** 52n + 0x5000n, R, false)).toBe(XD | 0x5001n); // the codec keeps upstream's mask
    expect(kind(() => pt.map(0x1000, 2n ** 52n + 0x5000n, PageSize.Size4K, R))).toBe('InvalidAddress');
    expect(kind(() => pt.mapRegion(0x1000, 2 ** 52 - 0x1000, 0x2000, R))).toBe('InvalidAddress');
  });

  it('no-access flags: UnsupportedFlags (upstream writes 0x2000, non-present but blocking, or a present USER-only page)', () => {
    const ram = ram16();
    const pt = X64PageTable.create(ram);
    expect(X64_PTE.newPage(0x2000, 0, false)).toBe(0x2000n);
    expect(X64_PTE.newPage(0x2000, U, false)).toBe(XD | 0x2005n);
    for (const f of [0, U, DEV, UC, U | DEV | UC]) {
      expect(kind(() => pt.map(0x1000, 0x2000, PageSize.Size4K, f))).toBe('UnsupportedFlags');
    }
    expect(ram.framesInUse).toBe(1);
    pt.map(0x1000, 0x2000, PageSize.Size4K, R);
    expect(kind(() => pt.protect(0x1000, 0))).toBe('UnsupportedFlags');
    expect(pt.query(0x1000)?.flags).toBe(R);
  });

  it('W-only and X-only map as R|W and R|X; DEVICE reads back as UNCACHED (x86 has no finer encodings)', () => {
    const pt = X64PageTable.create(ram16());
    pt.map(0x1000, 0x2000, PageSize.Size4K, W);
    pt.map(0x2000, 0x3000, PageSize.Size4K, X);
    pt.map(0x3000, 0x4000, PageSize.Size4K, R | DEV);
    expect(pt.query(0x1000)?.flags).toBe(R | W);
    expect(pt.query(0x2000)?.flags).toBe(R | X);
    expect(pt.query(0x3000)?.flags).toBe(R | UC);
  });

  it('map needs VA and PA aligned to the page size: NotAligned (upstream dropped the VA offset and aligned the PA down)', () => {
    const pt = X64PageTable.create(ram16());
    expect(kind(() => pt.map(0x1008, 0x2000, PageSize.Size4K, R))).toBe('NotAligned');
    expect(kind(() => pt.map(0x20_0000, 0x20_1000, PageSize.Size2M, R))).toBe('NotAligned');
    expect(kind(() => pt.map(0x4000_0000, 0x20_0000, PageSize.Size1G, R))).toBe('NotAligned');
    expect([...pt.mappings()]).toEqual([]);
  });

  it('mapRegion is all-or-nothing (upstream keeps the mapped prefix and its tables)', () => {
    const ram = ram16();
    const pt = X64PageTable.create(ram);
    pt.map(0x40_5000, 0x9000, PageSize.Size4K, R);
    const before = ram.bytes.slice();
    const frames = ram.framesInUse;
    expect(kind(() => pt.mapRegion(0x3f_0000, 0x10_0000, 0x20_0000, R | W))).toBe('AlreadyMapped');
    expect(diff(ram.bytes, before)).toEqual([]);
    expect(ram.framesInUse).toBe(frames);
    expect(pt.query(0x3f_0000)).toBeUndefined();
  });

  it('mapRegion with huge pages picks 1G, 2M and 4K steps', () => {
    const pt = X64PageTable.create(ram16());
    pt.mapRegion(0x3fe0_0000 - 0x1000, 0x3fe0_0000 - 0x1000, 0x4000_0000 + 0x20_0000 + 0x1000 + 0x20_0000, R | W, true);
    expect([...pt.mappings()].map((m) => [m.va, m.pageSize])).toEqual([
      [0x3fdf_f000, 4096],
      [0x3fe0_0000, PageSize.Size2M],
      [0x4000_0000, PageSize.Size1G],
      [0x8000_0000, PageSize.Size2M],
    ]);
  });

  it('unmapRegion and protectRegion step over holes (upstream unmap_region stops with NotMapped)', () => {
    const pt = X64PageTable.create(ram16());
    pt.map(0x1000, 0x1000, PageSize.Size4K, R | W);
    pt.map(0x20_0000, 0x20_0000, PageSize.Size2M, R | W);
    pt.protectRegion(0, 0x4000_0000, R);
    expect(pt.query(0x1000)?.flags).toBe(R);
    expect(pt.query(0x20_0000)?.flags).toBe(R);
    pt.unmapRegion(0, 0x4000_0000);
    expect([...pt.mappings()]).toEqual([]);
  });

  it('a block crossing a region edge is MappedToHugePage and nothing changes (upstream unmap_region panics on its assert)', () => {
    const ram = ram16();
    const pt = X64PageTable.create(ram);
    pt.map(0x20_0000, 0x20_0000, PageSize.Size2M, R | W);
    pt.map(0x1000, 0x1000, PageSize.Size4K, R | W);
    const before = ram.bytes.slice();
    expect(kind(() => pt.unmapRegion(0x1000, 0x20_0000))).toBe('MappedToHugePage');
    expect(kind(() => pt.protectRegion(0x21_0000, 0x1000, R))).toBe('MappedToHugePage');
    expect(diff(ram.bytes, before)).toEqual([]);
  });

  it('copyFrom shares the kernel half and never frees a shared subtree twice', () => {
    const ram = ram16();
    const kernel = X64PageTable.create(ram);
    kernel.map(0xffff_8000_0000_0000n, 0x20_0000, PageSize.Size2M, R | W);
    const afterKernel = ram.framesInUse;
    const user = X64PageTable.create(ram);
    user.map(0x1000, 0x1000, PageSize.Size4K, R | U);
    user.copyFrom(kernel, 0xffff_8000_0000_0000n, 0x8000_0000_0000n);
    expect(user.query(0xffff_8000_0000_0010n)?.paddr).toBe(0x20_0010);
    expect(user.pendingFlush).toBe('full');
    user.destroy();
    expect(ram.framesInUse).toBe(afterKernel);
    expect(kernel.query(0xffff_8000_0000_0000n)?.paddr).toBe(0x20_0000);
    kernel.destroy();
    expect(ram.framesInUse).toBe(0);
  });
});
