/**
 * The emulator-MMU contract of core (`EmulatorMmu`) held against every
 * architecture's MMU, table-driven: the same inputs must mean the same on
 * each. Each arch's own vectors and properties live in its package.
 */
import { type A64Fault, A64Mmu, A64PageTable } from '@page-table/arch-aarch64';
import { type LA64Fault, LA64Mmu, LA64PageTable, PWCH_4LEVEL, PWCL_4LEVEL } from '@page-table/arch-loongarch64';
import { type RiscvFault, RiscvMmu, SatpMode, Sv48PageTable, satp } from '@page-table/arch-riscv';
import { isPageFault, type X64Fault, X64Mmu, X64PageTable } from '@page-table/arch-x86_64';
import { Access, type EmulatorMmu, MappingFlags, type PageTable64, RamHandler } from '@page-table/core';
import { describe, expect, it } from 'vitest';

const RWU = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.USER;
const VA = 0x40_0000;
const PA = 0x23_4000;

interface MmuCase {
  name: string;
  /** Builds a table with one 4 KiB page VA → PA and an MMU over it (`tlbEntries` passed through). */
  make(ram: RamHandler, tlbEntries?: number): { pt: PageTable64; mmu: EmulatorMmu<unknown> };
  /** The faulting VA the arch's fault record carries (CR2, stval, FAR, BADV). */
  faultVa(fault: unknown): bigint;
}

const CASES: MmuCase[] = [
  {
    name: 'x86_64',
    make(ram, tlbEntries) {
      const pt = X64PageTable.create(ram);
      const mmu = new X64Mmu(ram, { cr0: 0x8001_0011, cr3: pt.rootPaddr, cr4: 0x20, efer: 0xd00, cpl: 0, tlbEntries });
      return { pt, mmu };
    },
    faultVa: (f) => (isPageFault(f as X64Fault) ? BigInt((f as { cr2: number | bigint }).cr2) : -1n),
  },
  {
    name: 'riscv Sv48',
    make(ram, tlbEntries) {
      const pt = Sv48PageTable.create(ram);
      const mmu = new RiscvMmu(ram, {
        satp: satp(SatpMode.Sv48, 0, pt.rootPaddr),
        priv: 1,
        mstatus: 1 << 18,
        svadu: true,
        tlbEntries,
      });
      return { pt, mmu };
    },
    faultVa: (f) => BigInt((f as RiscvFault).tval),
  },
  {
    name: 'aarch64',
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
      return { pt, mmu };
    },
    faultVa: (f) => BigInt((f as A64Fault).far),
  },
  {
    name: 'loongarch64',
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
      return { pt, mmu };
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
  const { pt, mmu } = c.make(ram, tlbEntries);
  pt.map(VA, PA, 0x1000, RWU);
  return { ram, pt, mmu };
}

describe.each(CASES)('EmulatorMmu contract: $name', (c) => {
  it('translate, translatePa and translatePaHalves agree with the table', () => {
    const { pt, mmu } = scene(c);
    expect(mmu.translatePa(VA + 0x123, Access.Read)).toBe(PA + 0x123);
    expect(mmu.translatePaHalves(0, VA + 0x124, Access.Write)).toBe(PA + 0x124);
    expect(mmu.translate(VA + 0x125, Access.Read)).toMatchObject({ paddr: PA + 0x125, size: 0x1000 });
    expect(pt.queryPa(VA + 0x125)).toBe(PA + 0x125);
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
        const va64 = (BigInt(hi) << 32n) | BigInt(lo);
        expect(c.faultVa(mmu.lastFault)).toSatisfy((x: bigint) => x === va64 || x === -1n);
      }
    }
    // The example: VA 0xffff_ffff_ffff_f000, not 0x0000_0000_ffff_f000.
    expect(mmu.translatePa(-0x1000, Access.Read)).toBe(mmu.translatePaHalves(0xffff_ffff, 0xffff_f000, Access.Read));
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
    expect(mmu.info.tables.length).toBeGreaterThanOrEqual(4);
    expect(mmu.info.privileges[mmu.info.userPrivilege]).toBeDefined();
  });

  it('flushAll drops every cached translation', () => {
    const { pt, mmu } = scene(c);
    mmu.translatePa(VA, Access.Read);
    pt.unmap(VA);
    expect(mmu.translatePa(VA, Access.Read)).toBe(PA); // stale, as on hardware
    mmu.flushAll();
    expect(mmu.translatePa(VA, Access.Read)).toBe(-1);
  });
});
