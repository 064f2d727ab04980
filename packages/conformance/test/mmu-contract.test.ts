/**
 * The emulator-MMU contract of core (`EmulatorMmu`) held against every
 * architecture's MMU, table-driven: the same inputs must mean the same on
 * each. Each arch's own vectors and properties live in its package.
 */
import { type A64Fault, A64Mmu, A64PageTable } from '@page-table/arch-aarch64';
import { type ArmV7Fault, ArmV7Mmu, TTBCR_EAE } from '@page-table/arch-arm';
import { type LA64Fault, LA64Mmu, LA64PageTable, PWCH_4LEVEL, PWCL_4LEVEL } from '@page-table/arch-loongarch64';
import { type RiscvFault, RiscvMmu, SatpMode, Sv48PageTable, satp, satp32 } from '@page-table/arch-riscv';
import { isPageFault, type X64Fault, X64Mmu, X64PageTable } from '@page-table/arch-x86_64';
import { Access, type EmulatorMmu, isVa32, MappingFlags, type PageTable64, RamHandler } from '@page-table/core';
import { describe, expect, it } from 'vitest';

const RWU = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.USER;
const VA = 0x40_0000;
const PA = 0x23_4000;

/** An MMU over tables holding one 4 KiB page VA → PA (built by a page table or written by hand). */
interface Scene {
  mmu: EmulatorMmu<unknown>;
  /** Removes the mapping, as a guest edits its tables (no TLB maintenance). */
  unmap(): void;
  /** The page table's own answer for a VA, where a page table built the tables. */
  queryPa?(va: number): number;
}

interface MmuCase {
  name: string;
  /** The VA width the MMU translates: 64 (its high half canonical), or 32 (zero- or sign-extended, see `isVa32`). */
  vaBits: 32 | 64;
  /** Builds the tables and the MMU over them (`tlbEntries` passed through). */
  make(ram: RamHandler, tlbEntries?: number): Scene;
  /** The faulting VA the arch's fault record carries (CR2, stval, FAR, BADV), or -1 for a fault that has none. */
  faultVa(fault: unknown): bigint;
}

/** A scene whose tables a page table built. */
function tableScene(pt: PageTable64, mmu: EmulatorMmu<unknown>): Scene {
  pt.map(VA, PA, 0x1000, RWU);
  return { mmu, unmap: () => pt.unmap(VA), queryPa: (va) => pt.queryPa(va) };
}

const w32 = (ram: RamHandler, pa: number, v: number) => {
  ram.words[pa / 4] = v >>> 0;
};
const w64 = (ram: RamHandler, pa: number, v: bigint) => ram.write64(pa, v);
// DFAR/IFAR for an abort; the VA as given for the `va-range` fault (not an Arm fault: no register is written).
const armFault = (f: unknown) => {
  const a = f as ArmV7Fault;
  return a.kind === 'va-range' ? BigInt(a.va) : BigInt(a.far);
};
const x86Fault = (f: unknown) => (isPageFault(f as X64Fault) ? BigInt((f as { cr2: number | bigint }).cr2) : -1n);

const CASES: MmuCase[] = [
  {
    name: 'x86_64',
    vaBits: 64,
    make(ram, tlbEntries) {
      const pt = X64PageTable.create(ram);
      const mmu = new X64Mmu(ram, { cr0: 0x8001_0011, cr3: pt.rootPaddr, cr4: 0x20, efer: 0xd00, cpl: 0, tlbEntries });
      return tableScene(pt, mmu);
    },
    faultVa: x86Fault,
  },
  {
    name: 'x86 32-bit paging',
    vaBits: 32,
    make(ram, tlbEntries) {
      // PD at 0x1000, PDE 1 -> PT at 0x2000, PTE 0 -> PA.
      w32(ram, 0x1004, 0x2007);
      w32(ram, 0x2000, PA | 0x7);
      const mmu = new X64Mmu(ram, { cr0: 0x8001_0011, cr3: 0x1000, cr4: 0x10, cpl: 0, tlbEntries });
      return { mmu, unmap: () => w32(ram, 0x2000, 0) };
    },
    faultVa: x86Fault,
  },
  {
    name: 'x86 PAE paging',
    vaBits: 32,
    make(ram, tlbEntries) {
      // PDPT at 0x1000, PDPTE 0 -> PD at 0x2000, PDE 2 -> PT at 0x3000, PTE 0 -> PA.
      w64(ram, 0x1000, 0x2001n);
      w64(ram, 0x2010, 0x3007n);
      w64(ram, 0x3000, BigInt(PA | 0x7));
      const mmu = new X64Mmu(ram, { cr0: 0x8001_0011, cr3: 0x1000, cr4: 0x20, efer: 0x800, cpl: 0, tlbEntries });
      return { mmu, unmap: () => w64(ram, 0x3000, 0n) };
    },
    faultVa: x86Fault,
  },
  {
    name: 'riscv Sv48',
    vaBits: 64,
    make(ram, tlbEntries) {
      const pt = Sv48PageTable.create(ram);
      const mmu = new RiscvMmu(ram, {
        satp: satp(SatpMode.Sv48, 0, pt.rootPaddr),
        priv: 1,
        mstatus: 1 << 18,
        svadu: true,
        tlbEntries,
      });
      return tableScene(pt, mmu);
    },
    faultVa: (f) => BigInt((f as RiscvFault).tval),
  },
  {
    name: 'riscv Sv32 (RV32)',
    vaBits: 32,
    make(ram, tlbEntries) {
      // Root at 0x1000, entry 1 -> the table at 0x2000, entry 0 -> PA (V R W U).
      w32(ram, 0x1004, (2 << 10) | 0x1);
      w32(ram, 0x2000, ((PA >>> 12) << 10) | 0x17);
      const mmu = new RiscvMmu(ram, {
        xlen: 32,
        satp: satp32(1, 0, 0x1000),
        priv: 1,
        mstatus: 1 << 18,
        svadu: true,
        tlbEntries,
      });
      return { mmu, unmap: () => w32(ram, 0x2000, 0) };
    },
    faultVa: (f) => BigInt((f as RiscvFault).tval),
  },
  {
    name: 'aarch64',
    vaBits: 64,
    make(ram, tlbEntries) {
      const pt = A64PageTable.create(ram, { range: 'lower' });
      const tcr = 16n | (16n << 16n) | (2n << 30n) | (5n << 32n) | (1n << 39n) | (1n << 40n);
      const mmu = new A64Mmu(ram, {
        ttbr0: pt.rootPaddr,
        ttbr1: 0,
        tcr,
        sctlr: 1,
        mair: 0x0044_ff04,
        el: 1,
        tlbEntries,
      });
      return tableScene(pt, mmu);
    },
    faultVa: (f) => BigInt((f as A64Fault).far),
  },
  {
    name: 'armv7 short descriptors',
    vaBits: 32,
    make(ram, tlbEntries) {
      // L1 at 0x4000: entry VA[31:20] -> the L2 table at 0x8000 (domain 0), small page AP 011.
      w32(ram, 0x4000 + (VA >>> 20) * 4, 0x8001);
      w32(ram, 0x8000 + ((VA >>> 12) & 0xff) * 4, PA | 0x30 | 0b10);
      const mmu = new ArmV7Mmu(ram, { sctlr: 1, ttbr0: 0x4000, pl: 0, tlbEntries });
      return { mmu, unmap: () => w32(ram, 0x8000 + ((VA >>> 12) & 0xff) * 4, 0) };
    },
    faultVa: armFault,
  },
  {
    name: 'armv7 LPAE',
    vaBits: 32,
    make(ram, tlbEntries) {
      w64(ram, 0x1000, 0x2003n);
      w64(ram, 0x2000 + ((VA >>> 21) & 511) * 8, 0x3003n);
      w64(ram, 0x3000 + ((VA >>> 12) & 511) * 8, BigInt(PA | 0x400 | 0x40 | 3)); // page, AF, AP[2:1] = 01
      const mmu = new ArmV7Mmu(ram, { sctlr: 1, ttbcr: TTBCR_EAE, ttbr0: 0x1000, pl: 0, tlbEntries });
      return { mmu, unmap: () => w64(ram, 0x3000 + ((VA >>> 12) & 511) * 8, 0n) };
    },
    faultVa: armFault,
  },
  {
    name: 'loongarch64',
    vaBits: 64,
    make(ram, tlbEntries) {
      const pt = LA64PageTable.create(ram);
      const mmu = new LA64Mmu(ram, {
        crmd: 0x10,
        pgdl: pt.rootPaddr,
        pgdh: pt.rootPaddr,
        pwcl: PWCL_4LEVEL,
        pwch: PWCH_4LEVEL,
        tlbEntries,
      });
      return tableScene(pt, mmu);
    },
    faultVa: (f) => BigInt((f as LA64Fault).badv),
  },
];

/** Index of the first differing byte, or -1 (`toEqual` on megabytes is far too slow). */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : a.length;
}

function scene(c: MmuCase, tlbEntries?: number) {
  const ram = new RamHandler({ base: 0, size: 20 << 20 });
  return { ram, ...c.make(ram, tlbEntries) };
}

describe.each(CASES)('EmulatorMmu contract: $name', (c) => {
  it('translate, translatePa and translatePaHalves agree with the table', () => {
    const { mmu, queryPa } = scene(c);
    expect(mmu.translatePa(VA + 0x123, Access.Read)).toBe(PA + 0x123);
    expect(mmu.translatePaHalves(0, VA + 0x124, Access.Write)).toBe(PA + 0x124);
    expect(mmu.translate(VA + 0x125, Access.Read)).toMatchObject({ paddr: PA + 0x125, size: 0x1000 });
    if (queryPa !== undefined) expect(queryPa(VA + 0x125)).toBe(PA + 0x125);
    expect(mmu.lastSize).toBe(0x1000);
    expect(mmu.lastFlags & (MappingFlags.READ | MappingFlags.WRITE)).toBe(MappingFlags.READ | MappingFlags.WRITE);
  });

  it('a negative number VA is the sign-extended VA on translatePa (never truncated to 32 bits)', () => {
    const { mmu } = scene(c);
    for (const va of [-0x1000, -0x8000_0000_0000, -1, -0x1_0000_1000]) {
      const hi = Math.floor(va / 2 ** 32) >>> 0;
      const lo = va >>> 0;
      const viaHalves = mmu.translatePaHalves(hi, lo, Access.Read);
      const faultHalves = mmu.lastFault;
      expect(mmu.translatePa(va, Access.Read)).toBe(viaHalves);
      expect(mmu.lastFault).toEqual(faultHalves);
      if (viaHalves < 0) {
        // A 32-bit MMU reports a 32-bit VA it translated as such; one outside its space as given (or not at all).
        const va64 = c.vaBits === 32 && isVa32(hi, lo) ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
        expect(c.faultVa(mmu.lastFault)).toSatisfy((x: bigint) => x === va64 || x === -1n);
      }
    }
    // The example: VA 0xffff_ffff_ffff_f000, not 0x0000_0000_ffff_f000 (on a 32-bit MMU: 0xffff_f000 either way).
    expect(mmu.translatePa(-0x1000, Access.Read)).toBe(mmu.translatePaHalves(0xffff_ffff, 0xffff_f000, Access.Read));
    if (c.vaBits === 32) {
      expect(mmu.translatePa(-0x1000, Access.Read)).toBe(mmu.translatePaHalves(0, 0xffff_f000, Access.Read));
      expect(mmu.translatePa(-(2 ** 32) + VA, Access.Read)).toBe(-1);
    }
  });

  it('a 32-bit MMU takes a 32-bit VA zero- or sign-extended, and faults on any other value', () => {
    if (c.vaBits !== 32) return;
    const { mmu } = scene(c);
    const faults = mmu.stats.faults;
    expect(mmu.translatePaHalves(1, VA, Access.Read)).toBe(-1);
    expect(mmu.translatePaHalves(0xffff_ffff, VA, Access.Read)).toBe(-1);
    expect(mmu.translatePa(2 ** 32 + VA, Access.Read)).toBe(-1);
    expect(mmu.translate(BigInt(VA) | (1n << 40n), Access.Read).fault).toBeDefined();
    expect(mmu.debugTranslate(BigInt(VA) | (1n << 40n), Access.Read).result.fault).toBeDefined();
    expect(mmu.stats.faults).toBe(faults + 4);
    expect(mmu.translatePa(VA, Access.Read)).toBe(PA);
  });

  it('translate and debugTranslate give a negative number VA the same meaning; a negative bigint or a fraction is a RangeError', () => {
    const { mmu } = scene(c);
    for (const va of [-1, -0x1000, -0x8000_0000_0000]) {
      const big = BigInt.asUintN(64, BigInt(va));
      expect(mmu.translate(va, Access.Read)).toEqual(mmu.translate(big, Access.Read));
      expect(mmu.debugTranslate(va, Access.Read).result).toEqual(mmu.debugTranslate(big, Access.Read).result);
    }
    expect(() => mmu.translate(-1n, Access.Read)).toThrow(RangeError);
    expect(() => mmu.debugTranslate(-0x1000n, Access.Read)).toThrow(RangeError);
    expect(() => mmu.translate(0.5, Access.Read)).toThrow(RangeError);
    expect(() => mmu.translate(2 ** 60, Access.Read)).toThrow(RangeError);
  });

  it('an unknown access kind throws the same RangeError from every entry point', () => {
    const { mmu } = scene(c);
    const message = /access must be Access\.Read \(0\), Access\.Write \(1\) or Access\.Execute \(2\), got 7/;
    const bad = 7 as Access;
    expect(() => mmu.translatePa(VA, bad)).toThrow(message);
    expect(() => mmu.translatePaHalves(0, VA, bad)).toThrow(message);
    expect(() => mmu.translate(VA, bad)).toThrow(message);
    expect(() => mmu.debugTranslate(VA, bad)).toThrow(message);
    expect(mmu.stats).toEqual({ hits: 0, misses: 0, faults: 0 });
  });

  it('tlbEntries: 0 means no software TLB; other sizes are powers of two, with the same error', () => {
    const { mmu } = scene(c, 0);
    for (let i = 0; i < 4; i++) expect(mmu.translatePa(VA, Access.Read)).toBe(PA);
    // Every access reached the (architectural) translation path; only LoongArch models a TLB of its own behind the software one.
    expect(mmu.stats.hits + mmu.stats.misses).toBe(4);
    if (c.name !== 'loongarch64') expect(mmu.stats.hits).toBe(0);
    const cached = scene(c, 64).mmu;
    for (let i = 0; i < 4; i++) cached.translatePa(VA, Access.Read);
    expect(cached.stats.hits).toBeGreaterThan(0);
    for (const n of [3, -1, 0.5])
      expect(() => scene(c, n)).toThrow(/tlbEntries .* is not 0 \(no TLB\) or a power of two/);
  });

  it('stats count hits, misses and faults, and resetStats zeroes them in place', () => {
    const { mmu } = scene(c);
    const stats = mmu.stats;
    mmu.translatePa(VA, Access.Read);
    mmu.translatePa(VA, Access.Read);
    expect(mmu.translatePa(VA + 0x10_0000, Access.Read)).toBe(-1);
    expect(stats.faults).toBe(1);
    expect(stats.hits + stats.misses).toBeGreaterThanOrEqual(2);
    mmu.resetStats();
    expect(mmu.stats).toBe(stats);
    expect(stats).toEqual({ hits: 0, misses: 0, faults: 0 });
  });

  it('debugTranslate: the shared report, with no side effect', () => {
    const { ram, mmu } = scene(c);
    mmu.translatePa(VA + 0x10_0000, Access.Read);
    const fault = mmu.lastFault;
    const bytes = ram.bytes.slice();
    const stats = { ...mmu.stats };
    const ok = mmu.debugTranslate(VA + 8, Access.Write);
    expect(ok.access).toBe(Access.Write);
    expect(ok.result).toMatchObject({ paddr: PA + 8, size: 0x1000 });
    expect(ok.leafSize).toBe(0x1000);
    expect(ok.permissions).toBe('flags' in ok.result ? ok.result.flags : -1);
    expect(ok.stopLevel).toBeUndefined();
    expect(ok.steps.length).toBeGreaterThan(0);
    expect(ok.steps.at(-1)?.level).toBe(0);
    for (const s of ok.steps) expect(typeof mmu.info.tables[s.level]).toBe('string');
    // A/D writes a real write would make are reported, not made (none for LoongArch, which has no A/D bits).
    for (const u of ok.updates) expect(u.after).not.toBe(u.before);
    const bad = mmu.debugTranslate(VA + 0x10_0000, Access.Read);
    expect(bad.result.fault).toBeDefined();
    expect(bad.permissions).toBeUndefined();
    expect(typeof bad.stopLevel).toBe('number');
    expect(typeof bad.stopReason).toBe('string');
    expect(typeof bad.stop).toBe('string');
    expect(firstDiff(ram.bytes, bytes)).toBe(-1);
    expect(mmu.stats).toEqual(stats);
    expect(mmu.lastFault).toEqual(fault);
  });

  it('describeFault gives the fault in words and JSON-ready fields; info names tables and privileges', () => {
    const { mmu } = scene(c);
    mmu.translatePa(VA + 0x10_0000, Access.Write);
    const f = mmu.lastFault;
    if (f === undefined) throw new Error('no fault');
    const r = mmu.describeFault(f);
    expect(r.name.length).toBeGreaterThan(0);
    expect(r.summary).toContain(r.name);
    expect(JSON.parse(JSON.stringify(r.fields))).toEqual(r.fields);
    expect(mmu.info.tables.length).toBeGreaterThanOrEqual(2);
    expect(mmu.info.privileges[mmu.info.userPrivilege]).toBeDefined();
  });

  it('flushAll drops every cached translation', () => {
    const { mmu, unmap } = scene(c);
    mmu.translatePa(VA, Access.Read);
    unmap();
    expect(mmu.translatePa(VA, Access.Read)).toBe(PA); // stale, as on hardware
    mmu.flushAll();
    expect(mmu.translatePa(VA, Access.Read)).toBe(-1);
  });
});
