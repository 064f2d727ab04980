// X64Mmu API, registers, hot path, debug walk and software-TLB semantics
// (SDM Vol. 3A §4.10) on base table X0 of MMU.md §2.7.
import { Access, MappingFlags, PageSize, type PhysMemory, RamHandler } from '@page-table/core';
import { va } from '@page-table/memory-addr';
import { describe, expect, it } from 'vitest';
import {
  decodePfErrorCode,
  encodePfErrorCode,
  formatPfErrorCode,
  formatX64Fault,
  isPageFault,
  X64_RESET,
  X64Mmu,
  type X64MmuOptions,
  X64PageTable,
  X64PfError,
} from '../src/index.js';

const { READ: R, WRITE: W, EXECUTE: X, USER: U, UNCACHED: UC } = MappingFlags;
const NOFLUSH = 1n << 63n;

function x0(changes: readonly (readonly [number, bigint])[] = []): RamHandler {
  const ram = new RamHandler({ size: 0x1_0000 });
  const base: [number, bigint][] = [
    [0x1000, 0x2007n],
    [0x2000, 0x3007n],
    [0x2008, 0x4000_0087n],
    [0x3000, 0x4007n],
    [0x3008, 0x20_0083n],
    [0x4028, 0x5007n],
    [0x4030, 0x6005n],
    [0x4038, 0x8000000000007007n],
    [0x4040, 0x8003n],
    [0x4058, 0x000001000000b007n],
  ];
  for (const [at, v] of [...base, ...changes]) ram.write64(at, v);
  return ram;
}

function mmuOf(ram: PhysMemory, opts: X64MmuOptions = {}): X64Mmu {
  return new X64Mmu(ram, { cr0: 0x8001_0011, cr3: 0x1000, cr4: 0x20, efer: 0xd00, cpl: 3, ...opts });
}

describe('registers', () => {
  it('omitted registers take their RESET values: paging off, linear = physical (32 bits)', () => {
    const mmu = new X64Mmu(x0());
    expect([mmu.cr0, mmu.cr3, mmu.cr4, mmu.efer, mmu.cpl, mmu.rflags, mmu.pkru, mmu.pkrs]).toEqual([
      X64_RESET.cr0,
      0,
      0,
      0,
      0,
      2,
      0,
      0,
    ]);
    expect(mmu.maxPhyAddr).toBe(52);
    expect(mmu.pagingMode).toBe('disabled');
    expect(mmu.translate(0x1234_5678, Access.Write)).toEqual({
      paddr: 0x1234_5678,
      size: 0x1000,
      flags: R | W | X | U,
    });
    expect(mmu.translatePa(0x1_0000_1000, Access.Read)).toBe(0x1000);
    expect(mmu.stats).toEqual({ hits: 0, misses: 0, faults: 0 });
  });

  it('selects the paging mode from CR0.PG, CR4.PAE/LA57 and EFER.LME/LMA', () => {
    const mmu = mmuOf(x0());
    expect(mmu.pagingMode).toBe('4-level');
    mmu.efer = 0x900; // LME | NXE without LMA: the CPU would set LMA, the MMU infers it
    expect(mmu.pagingMode).toBe('4-level');
    mmu.cr4 = 0x1020;
    expect(mmu.pagingMode).toBe('5-level');
    // Leaving IA-32e mode enters PAE paging, which loads the PDPTEs from CR3 = 0x1000: the first, 0x2007, sets the
    // reserved R/W and U/S bits, so the write raises #GP(0) and changes nothing.
    expect(() => {
      mmu.efer = 0x800;
    }).toThrow(/PDPTE 0 \(at 0x1000\) is present with reserved bits 0x6/);
    expect(mmu.pagingMode).toBe('5-level');
    mmu.cr4 = 0;
    mmu.efer = 0x800;
    expect(mmu.pagingMode).toBe('32-bit');
    mmu.cr0 = 0x11;
    expect(mmu.pagingMode).toBe('disabled');
  });

  it('accepts numbers, bigints and negative int32 values; rejects the rest', () => {
    const mmu = mmuOf(x0(), { cr0: 0x8001_0011 | 0 });
    expect(mmu.cr0).toBe(0x8001_0011);
    mmu.cr3 = 0x1000n;
    expect(mmu.cr3).toBe(0x1000);
    expect(() => {
      mmu.cr3 = -1.5;
    }).toThrow(RangeError);
    expect(() => {
      mmu.cpl = 4;
    }).toThrow(RangeError);
    expect(() => new X64Mmu(x0(), { maxPhyAddr: 53 })).toThrow(RangeError);
    expect(() => {
      mmu.maxPhyAddr = 31;
    }).toThrow(RangeError);
  });

  it('CR3 holds the root below MAXPHYADDR and the PCID only with CR4.PCIDE', () => {
    const mmu = mmuOf(x0(), { cr3: 0x1018 });
    expect(mmu.rootPaddr).toBe(0x1000);
    expect(mmu.pcid).toBe(0);
    mmu.cr4 = 0x2_0020;
    expect(mmu.pcid).toBe(0x18);
    mmu.writeCr3(0x1005n | NOFLUSH);
    expect(mmu.cr3).toBe(0x1005);
    expect(mmu.pcid).toBe(5);
    const narrow = mmuOf(x0(), { cr3: 0xff_0000_1000, maxPhyAddr: 36 });
    expect(narrow.rootPaddr).toBe(0xf_0000_1000);
  });
});

describe('translate and the hot path', () => {
  it('translatePa returns the PA or -1 with the fault in fields, allocation-free', () => {
    const mmu = mmuOf(x0());
    expect(mmu.translatePa(0x5123, Access.Read)).toBe(0x5123);
    expect(mmu.lastSize).toBe(PageSize.Size4K);
    expect(mmu.lastFlags).toBe(R | W | X | U);
    expect(mmu.translatePa(0x6010, Access.Write)).toBe(-1);
    expect([mmu.faultVector, mmu.faultErrorCode, mmu.faultVaHi, mmu.faultVaLo]).toEqual([14, 7, 0, 0x6010]);
    expect([mmu.faultLevel, mmu.faultReason]).toEqual([0, 'protection']);
    expect(mmu.lastFault).toEqual({ vector: 14, errorCode: 7, cr2: 0x6010 });
    expect(mmu.translatePa(0x8000_0000_0000, Access.Read)).toBe(-1);
    expect([mmu.faultVector, mmu.faultErrorCode, mmu.faultLevel, mmu.faultReason]).toEqual([
      13,
      0,
      -1,
      'non-canonical',
    ]);
    expect(mmu.lastFault).toEqual({ vector: 13, errorCode: 0 });
  });

  it('takes high-half VAs as signed numbers or as halves', () => {
    const ram = new RamHandler({ size: 1 << 20 });
    const pt = X64PageTable.create(ram);
    pt.map(0xffff_ffff_8000_0000n, 0x20_0000, PageSize.Size2M, R | W);
    const mmu = new X64Mmu(ram, { cr0: 0x8001_0011, cr3: pt.rootPaddr, cr4: 0x20, efer: 0xd00 });
    expect(mmu.translatePa(-0x8000_0000 + 0x1234, Access.Read)).toBe(0x20_1234);
    expect(mmu.translatePaHalves(0xffff_ffff, 0x8000_1234, Access.Write)).toBe(0x20_1234);
    expect(mmu.translatePaHalves(-1, -0x7fff_edcc, Access.Read)).toBe(0x20_1234);
    expect(mmu.translate(0xffff_ffff_8000_1234n, Access.Read)).toEqual({
      paddr: 0x20_1234,
      size: PageSize.Size2M,
      flags: R | W,
    });
    expect(mmu.translatePa(-0x8000_0000_0000 - 4096, Access.Read)).toBe(-1);
    expect(mmu.faultVector).toBe(13);
    expect(mmu.translatePa(-0x8000_0000_0000, Access.Read)).toBe(-1);
    expect([mmu.faultVector, mmu.faultVaHi, mmu.faultVaLo]).toEqual([14, 0xffff_8000, 0]);
    expect(mmu.lastFault).toEqual({ vector: 14, errorCode: 0, cr2: 0xffff_8000_0000_0000n });
  });

  it('reports UNCACHED for a PCD leaf and the rights of the current CPL', () => {
    const mmu = mmuOf(x0([[0x4028, 0x5017n]]), { cpl: 0 });
    expect(mmu.translate(0x5000, Access.Read)).toMatchObject({ flags: R | W | X | U | UC });
    expect(mmu.translate(0x8000, Access.Read)).toMatchObject({ flags: R | W | X });
  });

  it('large leaves: the PAT bit (12) is not an address bit; the bits below the page size are reserved', () => {
    const pat1g = mmuOf(x0([[0x2008, 0x4000_1087n]]));
    expect(pat1g.translatePa(0x4123_4567, Access.Read)).toBe(0x4123_4567);
    const pat2m = mmuOf(x0([[0x3008, 0x20_1083n]]), { cpl: 0 });
    expect(pat2m.translatePa(0x2a_bcde, Access.Read)).toBe(0x2a_bcde);
    for (const bit of [13, 20, 29]) {
      const mmu = mmuOf(x0([[0x2008, 0x4000_0087n | (1n << BigInt(bit))]]));
      expect(mmu.translatePa(0x4000_0000, Access.Read)).toBe(-1);
      expect([mmu.faultErrorCode, mmu.faultLevel]).toEqual([0x0d, 2]);
    }
    const ok22 = mmuOf(x0([[0x3008, 0x20_0083n | (1n << 22n)]]), { cpl: 0 });
    expect(ok22.translatePa(0x20_0000, Access.Read)).toBe(0x60_0000);
  });

  it('a paging structure outside RAM reads as not present', () => {
    const mmu = mmuOf(x0([[0x3000, 0x10_0000_7007n]]));
    expect(mmu.translate(0x5000, Access.Read)).toEqual({ fault: { vector: 14, errorCode: 4, cr2: 0x5000 } });
    expect([mmu.faultReason, mmu.faultLevel]).toEqual(['unbacked-table', 0]);
    expect(mmu.debugTranslate(0x5000).stop).toMatch(/outside physical memory/);
    const off = mmuOf(x0(), { cr3: 0x100_0000 });
    expect(off.translatePa(0x5000, Access.Read)).toBe(-1);
    expect(off.faultLevel).toBe(3);
  });

  it('counts hits, misses and faults', () => {
    const mmu = mmuOf(x0());
    mmu.translatePa(0x5000, Access.Read);
    mmu.translatePa(0x5004, Access.Read);
    mmu.translatePa(0xa000, Access.Read);
    mmu.translatePa(0x8000_0000_0000, Access.Read);
    expect(mmu.stats).toEqual({ hits: 1, misses: 2, faults: 2 });
    mmu.resetStats();
    expect(mmu.stats).toEqual({ hits: 0, misses: 0, faults: 0 });
  });

  it('works over a WebAssembly.Memory and a SharedArrayBuffer without copying', () => {
    for (const buffer of [new WebAssembly.Memory({ initial: 1 }), new SharedArrayBuffer(0x1_0000)]) {
      const ram = new RamHandler({ buffer, size: 0x1_0000 });
      for (const [at, v] of [
        [0x1000, 0x2007n],
        [0x2000, 0x3007n],
        [0x3000, 0x4007n],
        [0x4028, 0x5007n],
      ] as const) {
        ram.write64(at, v);
      }
      expect(mmuOf(ram).translatePa(0x5123, Access.Write)).toBe(0x5123);
      const view = new DataView(buffer instanceof WebAssembly.Memory ? buffer.buffer : buffer);
      expect(view.getUint32(0x4028, true)).toBe(0x5067);
    }
  });
});

describe('debugTranslate', () => {
  it('lists every entry read and changes nothing', () => {
    const ram = x0();
    const mmu = mmuOf(ram);
    const before = ram.words.slice();
    const d = mmu.debugTranslate(0x5123, Access.Write);
    expect(d.steps).toEqual([
      { level: 3, index: 0, entryPaddr: 0x1000, entry: 0x2007n },
      { level: 2, index: 0, entryPaddr: 0x2000, entry: 0x3007n },
      { level: 1, index: 0, entryPaddr: 0x3000, entry: 0x4007n },
      { level: 0, index: 5, entryPaddr: 0x4028, entry: 0x5007n },
    ]);
    expect(d.result).toEqual({ paddr: 0x5123, size: PageSize.Size4K, flags: R | W | X | U });
    expect(d.stop).toBeUndefined();
    expect(d.va).toBe(0x5123);
    expect(d.permissions).toBe(R | W | X | U);
    expect(d.leafSize).toBe(PageSize.Size4K);
    expect(d.adUpdates?.map((u) => u.level)).toEqual([3, 2, 1, 0]); // A = 0 at every level of these tables
    expect(ram.words.every((w, i) => w === before[i])).toBe(true);
    expect(mmu.stats).toEqual({ hits: 0, misses: 0, faults: 0 });
    mmu.translatePa(0x5123, Access.Read);
    expect(mmu.stats.misses).toBe(1); // the debug walk filled no TLB entry
  });

  it('reports the A/D writes translate then makes, entry by entry', () => {
    // Every level has A = 0 (and the leaf D = 0): 0x5000 is a writable 4 KiB user page.
    const ram = x0();
    const mmu = mmuOf(ram);
    const d = mmu.debugTranslate(0x5123, Access.Write);
    expect(d.adUpdates).toEqual([
      { level: 3, entryPaddr: 0x1000, before: 0x2007n, after: 0x2027n },
      { level: 2, entryPaddr: 0x2000, before: 0x3007n, after: 0x3027n },
      { level: 1, entryPaddr: 0x3000, before: 0x4007n, after: 0x4027n },
      { level: 0, entryPaddr: 0x4028, before: 0x5007n, after: 0x5067n },
    ]);
    expect(ram.read64(0x4028)).toBe(0x5007n); // nothing written yet
    expect(mmu.translatePa(0x5123, Access.Write)).toBe(0x5123);
    for (const u of d.adUpdates ?? []) expect(ram.read64(u.entryPaddr)).toBe(u.after);
    // Now A and D are set everywhere: nothing more to write.
    expect(mmu.debugTranslate(0x5123, Access.Write).adUpdates).toBeUndefined();
    // A read sets A on the leaf, never D.
    const rd = mmuOf(
      x0([
        [0x1000, 0x2027n],
        [0x2000, 0x3027n],
        [0x3000, 0x4027n],
      ]),
    ).debugTranslate(0x5000, Access.Read);
    expect(rd.adUpdates).toEqual([{ level: 0, entryPaddr: 0x4028, before: 0x5007n, after: 0x5027n }]);
  });

  it('on a fault reports only the A writes made on the way down, not the leaf', () => {
    // 0x6000 is read-only: a write faults after the walk passed the tables.
    const ram = x0();
    const mmu = mmuOf(ram);
    const d = mmu.debugTranslate(0x6000, Access.Write);
    expect(d.result.fault).toBeDefined();
    expect(d.adUpdates).toEqual([
      { level: 3, entryPaddr: 0x1000, before: 0x2007n, after: 0x2027n },
      { level: 2, entryPaddr: 0x2000, before: 0x3007n, after: 0x3027n },
      { level: 1, entryPaddr: 0x3000, before: 0x4007n, after: 0x4027n },
    ]);
    const before = ram.words.slice();
    expect(mmu.translatePa(0x6000, Access.Write)).toBe(-1);
    for (const u of d.adUpdates ?? []) expect(ram.read64(u.entryPaddr)).toBe(u.after);
    expect(ram.read64(0x4030)).toBe(0x6005n);
    // Nothing else changed.
    const changed = new Set((d.adUpdates ?? []).map((u) => Number(u.entryPaddr) / 4));
    expect([...ram.words].every((w, i) => w === before[i] || changed.has(i))).toBe(true);
  });

  it('says where and why the walk stopped', () => {
    const mmu = mmuOf(x0([[0x1008, 0x2087n]]));
    expect(mmu.debugTranslate(0xa000).stop).toBe('not present at level 0 (PTE)');
    expect(mmu.debugTranslate(0x80_0000_0000).stop).toBe('reserved bit set at level 3 (PML4E): 0x80');
    const d = mmu.debugTranslate(0x6000, Access.Write);
    expect(d.stop).toBe('protection at level 0 (PTE): write to a read-only page (R/W = 0 at some level)');
    expect(d.permissions).toBe(R | X | U);
    expect(d.result).toEqual({ fault: { vector: 14, errorCode: 7, cr2: 0x6000 } });
    expect(mmu.debugTranslate(0x8000).stop).toMatch(/user-mode access to a supervisor-mode page/);
    expect(mmu.debugTranslate(0x7000, Access.Execute).stop).toMatch(/execute-disable/);
    expect(mmu.debugTranslate(0x8000_0000_0000n).stop).toMatch(/non-canonical.*63:47/);
    mmu.cpl = 0;
    mmu.cr4 = 0x40_0020;
    mmu.pkru = 0x1;
    expect(mmu.debugTranslate(0x5000).stop).toBe(
      'protection-key at level 0 (PTE): protection key: access disabled (AD)',
    );
    mmu.cr4 = 0x30_0020;
    expect(mmu.debugTranslate(0x5000, Access.Execute).stop).toMatch(/SMEP/);
    expect(mmu.debugTranslate(0x5000, Access.Read).stop).toMatch(/SMAP/);
    const big = mmuOf(x0(), { maxPhyAddr: 40 }).debugTranslate(0xb000);
    expect(big.stop).toBe('reserved bit set at level 0 (PTE): 0x10000000000');
    const off = new X64Mmu(x0()).debugTranslate(0x1_2345_6789);
    expect(off.result).toEqual({ paddr: 0x2345_6789, size: 0x1000, flags: R | W | X | U });
  });
});

describe('software TLB (SDM §4.10)', () => {
  it('serves a stale translation until INVLPG, like the processor may', () => {
    const ram = x0();
    const mmu = mmuOf(ram);
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x5000);
    ram.write64(0x4028, 0x9027n);
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x5000);
    mmu.invlpg(0x5fff);
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x9000);
  });

  it('never caches a not-present result: P 0 → 1 needs no invalidation (§4.10.4.3)', () => {
    const ram = x0();
    const mmu = mmuOf(ram);
    expect(mmu.translatePa(0xa000, Access.Read)).toBe(-1);
    ram.write64(0x4050, 0xc007n);
    expect(mmu.translatePa(0xa000, Access.Read)).toBe(0xc000);
  });

  it('walks again to set D on the first write through an entry cached clean', () => {
    const ram = x0();
    const mmu = mmuOf(ram);
    mmu.translatePa(0x5000, Access.Read);
    expect(ram.read64(0x4028)).toBe(0x5027n);
    expect(mmu.translatePa(0x5000, Access.Write)).toBe(0x5000);
    expect(ram.read64(0x4028)).toBe(0x5067n);
    expect(mmu.stats).toMatchObject({ hits: 0, misses: 2 });
    expect(mmu.translatePa(0x5008, Access.Write)).toBe(0x5008);
    expect(mmu.stats).toMatchObject({ hits: 1, misses: 2 });
  });

  it('re-applies CPL, CR0.WP, SMEP, SMAP/AC and PKRU on every hit, with no flush', () => {
    const mmu = mmuOf(x0(), { cpl: 0 });
    expect(mmu.translatePa(0x8000, Access.Read)).toBe(0x8000);
    mmu.cpl = 3;
    expect(mmu.translatePa(0x8000, Access.Read)).toBe(-1);
    expect(mmu.faultErrorCode).toBe(0x05);
    mmu.cpl = 0;
    expect(mmu.translatePa(0x6000, Access.Read)).toBe(0x6000);
    expect(mmu.translatePa(0x6000, Access.Write)).toBe(-1);
    mmu.cr0 = 0x8000_0011; // WP = 0
    expect(mmu.translatePa(0x6000, Access.Write)).toBe(0x6000);
    expect(mmu.translatePa(0x5000, Access.Execute)).toBe(0x5000);
    mmu.cr4 = 0x30_0020; // SMEP | SMAP
    expect(mmu.translatePa(0x5000, Access.Execute)).toBe(-1);
    expect(mmu.faultErrorCode).toBe(0x11);
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(-1);
    mmu.rflags = 0x4_0002;
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x5000);
    mmu.cr4 = 0x40_0020; // PKE
    mmu.pkru = 0x1; // key 0 AD
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(-1);
    expect(mmu.faultErrorCode).toBe(0x21);
    mmu.pkru = 0;
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x5000);
  });

  it('a hit whose rights now fail walks again, so raised rights need no INVLPG; a fault drops the entry', () => {
    const ram = x0();
    const mmu = mmuOf(ram);
    expect(mmu.translatePa(0x6000, Access.Read)).toBe(0x6000);
    ram.write64(0x4030, 0x6027n | 2n); // now writable, no INVLPG
    expect(mmu.translatePa(0x6000, Access.Write)).toBe(0x6000);
    mmu.translatePa(0x5000, Access.Read);
    ram.write64(0x4028, 0n); // unmapped, no INVLPG
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x5000); // stale, allowed
    expect(mmu.translatePa(0x5000, Access.Write)).toBe(-1); // D clean: walks, faults, drops
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(-1);
  });

  it('INVLPG of any address in a 2 MiB or 1 GiB page drops every cached piece of it', () => {
    const ram = x0();
    const mmu = mmuOf(ram, { cpl: 0 });
    expect(mmu.translatePa(0x20_0000, Access.Read)).toBe(0x20_0000);
    expect(mmu.translatePa(0x3f_f000, Access.Read)).toBe(0x3f_f000);
    expect(mmu.translatePa(0x4000_0000, Access.Read)).toBe(0x4000_0000);
    expect(mmu.translatePa(0x7fff_f000, Access.Read)).toBe(0x7fff_f000);
    ram.write64(0x3008, 0x60_00a3n);
    ram.write64(0x2008, 0x8000_00a7n);
    mmu.invlpg(0x2a_bcde);
    mmu.invlpg(0x5555_5555);
    expect(mmu.translatePa(0x20_0000, Access.Read)).toBe(0x60_0000);
    expect(mmu.translatePa(0x3f_f000, Access.Read)).toBe(0x7f_f000);
    expect(mmu.translatePa(0x4000_0000, Access.Read)).toBe(0x8000_0000);
    expect(mmu.translatePa(0x7fff_f000, Access.Read)).toBe(0xbfff_f000);
    mmu.invlpg(0x8000_0000_0000n); // non-canonical: a no-op
  });

  it('MOV CR3 drops non-global entries; G entries survive only with CR4.PGE', () => {
    const ram = x0([[0x4028, 0x5107n]]); // PT[5] global
    for (const pge of [true, false]) {
      const mmu = mmuOf(ram, { cr4: pge ? 0xa0 : 0x20 });
      mmu.translatePa(0x5000, Access.Write);
      mmu.translatePa(0x6000, Access.Read);
      ram.write64(0x4028, 0x9167n);
      ram.write64(0x4030, 0x9025n);
      mmu.writeCr3(0x1000);
      expect(mmu.translatePa(0x5000, Access.Read)).toBe(pge ? 0x5000 : 0x9000);
      expect(mmu.translatePa(0x6000, Access.Read)).toBe(0x9000);
      ram.write64(0x4028, 0x5107n);
      ram.write64(0x4030, 0x6005n);
    }
  });

  it('a change of CR4.PGE flushes global entries too; INVLPG drops a global page', () => {
    const ram = x0([[0x4028, 0x5107n]]);
    const mmu = mmuOf(ram, { cr4: 0xa0 });
    mmu.translatePa(0x5000, Access.Read);
    ram.write64(0x4028, 0x9127n);
    mmu.writeCr3(0x1000);
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x5000);
    mmu.invlpg(0x5000);
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x9000);
    ram.write64(0x4028, 0x5127n | 0x100n);
    mmu.cr4 = 0xa0; // unchanged: no flush
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x9000);
    mmu.cr4 = 0x20; // PGE 1 → 0
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x5000);
  });

  it('tags entries with the PCID; the no-flush bit keeps them across CR3 writes', () => {
    const ram = x0([[0x9000, 0x2007n]]); // a second PML4 at 0x9000 sharing the PDPT
    const mmu = mmuOf(ram, { cr4: 0x2_0020, cr3: 0x1001 });
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x5000);
    ram.write64(0x4028, 0x7027n);
    mmu.writeCr3(0x9002n | NOFLUSH);
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x7000); // PCID 2 has no entry: walks
    ram.write64(0x4028, 0x5027n);
    mmu.writeCr3(0x1001n | NOFLUSH);
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x5000); // PCID 1's stale entry is kept…
    ram.write64(0x4028, 0x6027n);
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x5000);
    mmu.writeCr3(0x1001); // …until a flushing CR3 write for PCID 1
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x6000);
  });

  it('INVPCID: individual address, single context, all contexts with and without globals', () => {
    const ram = x0([[0x4030, 0x6105n]]); // PT[6] global
    const mmu = mmuOf(ram, { cr4: 0x2_00a0, cr3: 0x1001 });
    const fill = () => {
      for (const va of [0x5000, 0x6000]) mmu.translatePa(va, Access.Read);
    };
    const moved = () => {
      ram.write64(0x4028, 0x9027n);
      ram.write64(0x4030, 0xa125n);
    };
    const reset = () => {
      ram.write64(0x4028, 0x5027n);
      ram.write64(0x4030, 0x6125n);
      mmu.invpcid(2, 0);
    };
    const pas = () => [0x5000, 0x6000].map((va) => mmu.translatePa(va, Access.Read));
    const cases: [number, number, number, number[]][] = [
      [0, 1, 0x5000, [0x9000, 0x6000]],
      [0, 1, 0x6000, [0x5000, 0x6000]], // type 0 keeps global translations
      [0, 2, 0x5000, [0x5000, 0x6000]], // another PCID
      [1, 1, 0, [0x9000, 0x6000]],
      [1, 3, 0, [0x5000, 0x6000]],
      [2, 0, 0, [0x9000, 0xa000]],
      [3, 0, 0, [0x9000, 0x6000]],
    ];
    for (const [type, pcid, va, want] of cases) {
      reset();
      fill();
      moved();
      expect(mmu.invpcid(type, pcid, va)).toBeUndefined();
      expect(pas()).toEqual(want);
    }
    const gp = { vector: 13, errorCode: 0 };
    expect(mmu.invpcid(4, 0)).toEqual(gp);
    expect(mmu.invpcid(0, 0x1000, 0)).toEqual(gp);
    expect(mmu.invpcid(0, 1, 0x8000_0000_0000)).toEqual(gp);
    mmu.cr4 = 0xa0;
    expect(mmu.invpcid(1, 1)).toEqual(gp);
    expect(mmu.invpcid(1, 0)).toBeUndefined();
  });

  it('flushes everything on a paging-mode, NXE or MAXPHYADDR change', () => {
    const ram = x0();
    const mmu = mmuOf(ram);
    const again = (change: () => void) => {
      mmu.translatePa(0x5000, Access.Read);
      const misses = mmu.stats.misses;
      change();
      mmu.translatePa(0x5000, Access.Read);
      return mmu.stats.misses - misses;
    };
    expect(again(() => (mmu.efer = 0x500))).toBe(1);
    expect(again(() => (mmu.efer = 0xd00))).toBe(1);
    expect(again(() => (mmu.maxPhyAddr = 46))).toBe(1);
    expect(again(() => (mmu.cpl = 3))).toBe(0);
    expect(again(() => (mmu.pkru = 0xffff_fffc))).toBe(0);
    expect(again(() => (mmu.pkrs = 0x3))).toBe(0);
    expect(again(() => mmu.flushAll())).toBe(1);
    expect(again(() => (mmu.cr0 = 0x11))).toBe(0); // paging off: no walk at all
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x5000);
    mmu.cr0 = 0x8001_0011;
    const misses = mmu.stats.misses;
    mmu.translatePa(0x5000, Access.Read);
    expect(mmu.stats.misses).toBe(misses + 1);
  });

  it('honours the TLB size option', () => {
    const mmu = mmuOf(x0(), { tlbEntries: 1 });
    mmu.translatePa(0x5000, Access.Read);
    mmu.translatePa(0x6000, Access.Read);
    mmu.translatePa(0x5000, Access.Read);
    expect(mmu.stats).toMatchObject({ hits: 0, misses: 3 });
    expect(() => mmuOf(x0(), { tlbEntries: 3 })).toThrow(RangeError);
  });

  it('PKRS guards supervisor-mode pages with CR4.PKS', () => {
    const mmu = mmuOf(x0([[0x4040, 0x1000_0000_0000_8003n]]), { cpl: 0, cr4: 0x100_0020, pkrs: 0x8 << 2 }); // key 2 WD
    expect(mmu.translatePa(0x8000, Access.Read)).toBe(0x8000);
    expect(mmu.translatePa(0x8000, Access.Write)).toBe(-1);
    expect(mmu.faultErrorCode).toBe(0x23);
    mmu.cr0 = 0x8000_0011; // WD binds supervisor writes only with CR0.WP
    expect(mmu.translatePa(0x8000, Access.Write)).toBe(0x8000);
  });
});

describe('fault records', () => {
  it('encodes, decodes and formats #PF error codes', () => {
    const ec = encodePfErrorCode({ present: true, write: true, user: true, pk: true });
    expect(ec).toBe(0x27);
    expect(decodePfErrorCode(0x1d)).toEqual({
      present: true,
      write: false,
      user: true,
      rsvd: true,
      fetch: true,
      pk: false,
      ss: false,
      hlat: false,
      sgx: false,
    });
    for (let e = 0; e < 0x100; e++) expect(encodePfErrorCode(decodePfErrorCode(e))).toBe(e);
    expect(encodePfErrorCode(decodePfErrorCode(X64PfError.SGX))).toBe(0x8000);
    expect(formatPfErrorCode(0x15)).toBe('P|U|I/D');
    expect(formatPfErrorCode(0)).toBe('-');
    expect(formatX64Fault({ vector: 14, errorCode: 7, cr2: va(0x6000) })).toBe('#PF(0x7 P|W|U) cr2=0x6000');
    expect(formatX64Fault({ vector: 13, errorCode: 0 })).toBe('#GP(0)');
    expect(isPageFault({ vector: 13, errorCode: 0 })).toBe(false);
  });
});
