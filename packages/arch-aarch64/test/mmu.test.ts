// A64Mmu beyond the MMU.md vectors: registers and their reset values, the MMU
// off, both VA ranges, every start level, TBI/TBID, E0PD, HPD, address-size
// and external-abort faults, the TLB (tags, staleness, invalidation, what is
// never cached), the hot path's fault fields, the debug walk, shared and
// WebAssembly memory, and the ESR helpers.
import { Access, MappingFlags, PageSize, RamHandler } from '@page-table/core';
import { describe, expect, it } from 'vitest';
import {
  A64Ec,
  A64FaultKind,
  A64Mmu,
  type A64MmuOptions,
  A64PageTable,
  abortEsr,
  DescriptorAttr as D,
  decodeEsr,
  decodeFsc,
  faultStatusCode,
  formatA64Fault,
  tlbiOperand,
  ttbrValue,
} from '../src/index.js';

const { Read, Write, Execute } = Access;
const { READ: R, WRITE: W, EXECUTE: X, USER: U, DEVICE: DEV, UNCACHED: UC } = MappingFlags;

const TCR_48 = 16n | (16n << 16n) | (0b101n << 32n) | (2n << 30n); // T0SZ = T1SZ = 16, TG1 = 4K, IPS 48
const HA = 1n << 39n;
const HD = 1n << 40n;
const A1 = 1n << 22n;
const AS = 1n << 36n;
const TBI0 = 1n << 37n;
const TBI1 = 1n << 38n;
const HPD0 = 1n << 41n;
const TBID0 = 1n << 51n;
const E0PD0 = 1n << 55n;
const E0PD1 = 1n << 56n;
const MAIR = 0x0044_ff04; // slot 0 Device-nGnRE, 1 Normal WB, 2 Normal NC

function ram(size = 4 << 20): RamHandler {
  return new RamHandler({ base: 0, size });
}

/** A table with a few pages, and an MMU on it with TTBR0 (and TTBR1 = the same root). */
function setup(opts: A64MmuOptions = {}, h = ram()) {
  const pt = A64PageTable.create(h);
  pt.map(0x1000, 0x10_0000, PageSize.Size4K, R | W | U); // EL0+EL1 RW, PXN
  pt.map(0x2000, 0x10_1000, PageSize.Size4K, R | X); // kernel RX
  pt.map(0x20_0000, 0x20_0000, PageSize.Size2M, R | W); // kernel RW block
  const root = pt.rootPaddr as number;
  const mmu = new A64Mmu(h, { ttbr0: root, ttbr1: root, tcr: TCR_48, sctlr: 1, mair: MAIR, ...opts });
  return { h, pt, mmu, root };
}

/** PA of the leaf descriptor of `va`, from the debug walk. */
function leafAddr(mmu: A64Mmu, va: number | bigint): number {
  const d = mmu.debugTranslate(va);
  return d.steps[d.steps.length - 1].entryPaddr as number;
}

describe('README example', () => {
  it('runs as documented', () => {
    const h = new RamHandler({ base: 0x4000_0000, size: 16 << 20 });
    const kernel = A64PageTable.create(h);
    const user = A64PageTable.create(h);
    kernel.mapRegion(0xffff_0000_4000_0000n, 0x4000_0000, 16 << 20, R | W, true);
    user.map(0x40_0000, 0x4010_0000, PageSize.Size4K, R | X | U);
    const mmu = new A64Mmu(h, {
      ttbr0: ttbrValue(user.rootPaddr, 1),
      ttbr1: ttbrValue(kernel.rootPaddr),
      tcr: 0x5_b510_3510,
      sctlr: 0x30d0_1805,
      mair: 0x0044_ff04,
      el: 0,
    });
    expect(mmu.translatePa(0x40_0010, Execute)).toBe(0x4010_0010);
    expect(mmu.translatePa(0x40_0010, Write)).toBe(-1);
    expect([mmu.faultEsr, mmu.far]).toEqual([0x9200004f, 0x40_0010]);
    mmu.el = 1;
    expect(mmu.translatePaHalves(0xffff_0000, 0x4012_3456, Write)).toBe(0x4012_3456);
    const r = mmu.translate(0xffff_0000_4000_0000n, Execute);
    expect(formatA64Fault(r.fault!)).toBe(
      'Instruction Abort from EL1 (fetch): Permission fault, level 2 at 0xffff000040000000 (ESR 0x8600000e)',
    );
    expect(mmu.translate(0x40_0010, Read)).toEqual({ paddr: 0x4010_0010, flags: R | U, size: PageSize.Size4K });
    user.protect(0x40_0000, R | W | U);
    mmu.tlbiVae1(0x40_0000, 1);
    mmu.el = 0;
    expect(mmu.translatePa(0x40_0010, Write)).toBe(0x4010_0010);
    const d = mmu.debugTranslate(0x40_0010, Read);
    expect(d.steps.map((s) => s.kind)).toEqual(['table', 'table', 'table', 'page']);
    expect(d.steps[3].entry).toBe(0x60000040100747n);
    expect(mmu.stats).toEqual({ hits: 1, misses: 5, faults: 2 });
  });
});

describe('registers', () => {
  it('reset values: MMU off, EL1, PAN clear, registers 0', () => {
    const m = new A64Mmu(ram());
    expect([m.ttbr0, m.ttbr1, m.tcr, m.sctlr, m.mair, m.el, m.pan, m.asid]).toEqual([0, 0, 0, 0, 0, 1, false, 0]);
    expect(m.translate(0x12_3456, Write)).toEqual({
      paddr: 0x12_3456,
      size: PageSize.Size4K,
      flags: R | W | X | U | DEV,
    });
    expect(m.translate(0x12_3456, Execute)).toEqual({ paddr: 0x12_3456, size: PageSize.Size4K, flags: R | W | X | U });
  });

  it('takes numbers or bigints and reads back canonical values', () => {
    const m = new A64Mmu(ram(), { tcr: TCR_48 | HA, ttbr0: ttbrValue(0x1000, 0x1234) });
    expect(m.tcr).toBe(Number(TCR_48 | HA)); // below 2^53: a number
    m.tcr = TCR_48 | E0PD0;
    expect(m.tcr).toBe(TCR_48 | E0PD0); // above 2^53: a bigint
    expect(m.ttbr0).toBe(0x1234_0000_0000_1000n);
    m.ttbr1 = 0x5000n;
    expect(m.ttbr1).toBe(0x5000);
    m.mair = 0xffn << 56n;
    expect(m.mair).toBe(0xff00_0000_0000_0000n);
  });

  it('rejects values that are not 64-bit registers, an EL other than 0..2, SCTLR.EE', () => {
    expect(() => new A64Mmu(ram(), { tcr: -1 })).toThrow(RangeError);
    expect(() => new A64Mmu(ram(), { tcr: 1n << 64n })).toThrow(RangeError);
    expect(() => new A64Mmu(ram(), { ttbr0: 0.5 })).toThrow(RangeError);
    expect(() => new A64Mmu(ram(), { el: 3 as 0 })).toThrow(RangeError);
    expect(() => new A64Mmu(ram(), { sctlrEl2: 1 << 25 })).toThrow(/EE/);
    expect(() => new A64Mmu(ram(), { sctlr: 1 | (1 << 25) })).toThrow(/EE/);
    expect(() => new A64Mmu(ram(), { paBits: 47 })).toThrow(RangeError);
    expect(() => new A64Mmu(ram(), { tlbEntries: 3 })).toThrow(RangeError);
    const m = new A64Mmu(ram());
    expect(() => {
      m.el = 3 as 1;
    }).toThrow(RangeError);
    expect(() => m.translate(0x1000, 7 as Access)).toThrow(RangeError);
    // A negative number is the sign-extended VA on every MMU (core's contract): -1 is VA 0xffff_ffff_ffff_ffff.
    expect(m.translate(-1, Read)).toEqual(m.translate(0xffff_ffff_ffff_ffffn, Read));
    expect(() => m.translate(-1n, Read)).toThrow(RangeError);
  });

  it('ASID from TTBR0, or TTBR1 with TCR.A1; 8 bits unless TCR.AS', () => {
    const m = new A64Mmu(ram(), { ttbr0: ttbrValue(0, 0x1234), ttbr1: ttbrValue(0, 0x5678), tcr: TCR_48 });
    expect(m.asid).toBe(0x34);
    m.tcr = TCR_48 | AS;
    expect(m.asid).toBe(0x1234);
    m.tcr = TCR_48 | AS | A1;
    expect(m.asid).toBe(0x5678);
    m.ttbr1 = ttbrValue(0, 0x9);
    expect(m.asid).toBe(0x9);
  });

  it('setRegisters applies each setter', () => {
    const { mmu, root } = setup({ sctlr: 0 });
    mmu.setRegisters({ sctlr: 1, el: 0, pan: true, ttbr0: root, tcr: TCR_48, mair: 0 });
    expect([mmu.el, mmu.pan, mmu.sctlr]).toEqual([0, true, 1]);
    expect(mmu.translate(0x1000, Read)).toMatchObject({ paddr: 0x10_0000 });
  });
});

describe('MMU off (SCTLR.M = 0)', () => {
  it('VA = PA up to the implemented PA size, else an Address size fault, level 0', () => {
    const m = new A64Mmu(ram(), { paBits: 40 });
    expect(m.translatePa(2 ** 40 - 1, Read)).toBe(2 ** 40 - 1);
    expect(m.translatePa(2 ** 40, Read)).toBe(-1);
    expect(m.lastFault).toMatchObject({ esr: 0x96000000, kind: A64FaultKind.AddressSize, level: 0, far: 2 ** 40 });
    // TBI applies with the MMU off too.
    expect(m.translate(0x5a00_0000_0000_1000n, Read).fault?.esr).toBe(0x96000000);
    m.tcr = TBI0;
    expect(m.translate(0x5a00_0000_0000_1000n, Read)).toMatchObject({ paddr: 0x1000 });
    expect(m.stats).toEqual({ hits: 0, misses: 0, faults: 2 });
  });

  it('turning the MMU on and off flushes the TLB', () => {
    const { mmu } = setup();
    expect(mmu.translatePa(0x1000, Read)).toBe(0x10_0000);
    mmu.sctlr = 0;
    expect(mmu.translatePa(0x1000, Read)).toBe(0x1000);
    mmu.sctlr = 1;
    expect(mmu.translatePa(0x1000, Read)).toBe(0x10_0000);
    expect(mmu.stats.misses).toBe(2);
  });
});

describe('ranges, input sizes and start levels', () => {
  it('VA bit 55 selects TTBR1: upper-range VAs through translatePaHalves and translate', () => {
    const h = ram();
    const kernel = A64PageTable.create(h);
    const user = A64PageTable.create(h);
    kernel.map(0xffff_0000_0000_3000n, 0x30_0000, PageSize.Size4K, R | W);
    user.map(0x3000, 0x31_0000, PageSize.Size4K, R | W | U);
    const mmu = new A64Mmu(h, { ttbr0: user.rootPaddr, ttbr1: kernel.rootPaddr, tcr: TCR_48, sctlr: 1 });
    expect(mmu.translate(0xffff_0000_0000_3abcn, Write)).toMatchObject({ paddr: 0x30_0abc });
    expect(mmu.translatePaHalves(0xffff_0000, 0x3abc, Read)).toBe(0x30_0abc);
    expect(mmu.translatePa(0x3abc, Read)).toBe(0x31_0abc);
    // Bits 63..48 must all equal bit 55.
    expect(mmu.translate(0xfffe_0000_0000_3000n, Read).fault?.esr).toBe(0x96000004);
    expect(mmu.translate(0x0001_0000_0000_3000n, Read).fault?.esr).toBe(0x96000004);
    expect(mmu.debugTranslate(0xffff_0000_0000_3000n)).toMatchObject({ ttbr: 1, inputSize: 48, startLevel: 0 });
  });

  it('T1SZ = 25: a 39-bit upper range starting at level 1', () => {
    const h = ram();
    const kernel = A64PageTable.create(h);
    kernel.map(0xffff_ff80_0000_5000n, 0x50_0000, PageSize.Size4K, R | W);
    const d = kernel.walk;
    expect(typeof d).toBe('function');
    // The level-1 table for VA[47:39] = 0x1ff.
    const l0e = h.read64((kernel.rootPaddr as number) + 0x1ff * 8);
    const l1 = Number(l0e & 0xffff_ffff_f000n);
    const tcr = 16n | (25n << 16n) | (2n << 30n) | (0b101n << 32n);
    const mmu = new A64Mmu(h, { ttbr1: l1, tcr, sctlr: 1 });
    expect(mmu.translate(0xffff_ff80_0000_5123n, Read)).toMatchObject({ paddr: 0x50_0123 });
    expect(mmu.debugTranslate(0xffff_ff80_0000_5123n)).toMatchObject({ inputSize: 39, startLevel: 1 });
    expect(mmu.debugTranslate(0xffff_ff80_0000_5123n).steps.map((s) => s.lookupLevel)).toEqual([1, 2, 3]);
    // 0xffff_ff7f_… is below the 39-bit range.
    expect(mmu.translate(0xffff_ff7f_ffff_f000n, Read).fault).toMatchObject({
      kind: A64FaultKind.Translation,
      level: 0,
    });
  });

  it.each([
    [25, 1, 0x40_1234_5000],
    [34, 2, 0x3fff_f000],
    [39, 2, 0x1ff_f000],
  ])('T0SZ = %i starts at level %i', (tsz, start, va) => {
    const h = ram();
    const pt = A64PageTable.create(h);
    pt.map(va, 0x60_0000, PageSize.Size4K, R | W);
    let table = pt.rootPaddr as number;
    for (let level = 0; level < start; level++) {
      const index = Math.floor(va / 2 ** (39 - 9 * level)) % 512;
      table = Number(h.read64(table + index * 8) & 0xffff_ffff_f000n);
    }
    const mmu = new A64Mmu(h, { ttbr0: table, tcr: BigInt(tsz) | (0b101n << 32n), sctlr: 1 });
    expect(mmu.translate(va + 0x321, Read)).toMatchObject({ paddr: 0x60_0321 });
    expect(mmu.debugTranslate(va)).toMatchObject({ inputSize: 64 - tsz, startLevel: start });
    expect(mmu.translate(2 ** (64 - tsz), Read).fault).toMatchObject({ kind: A64FaultKind.Translation, level: 0 });
  });

  it('T0SZ outside 16..39 is a Translation fault, level 0; FEAT_TTST allows 48 (a 16-entry level-3 root)', () => {
    const h = ram();
    const root = 0x8000;
    h.write64(root + 3 * 8, 0x7_0000n | 0x743n); // L3[3]: page at 0x70000, AF, AP=01
    const sixteen = new A64Mmu(h, { ttbr0: root, tcr: 15n | (0b101n << 32n), sctlr: 1 });
    expect(sixteen.translate(0x3000, Read).fault?.esr).toBe(0x96000004);
    const noTtst = new A64Mmu(h, { ttbr0: root, tcr: 48n | (0b101n << 32n), sctlr: 1 });
    expect(noTtst.translate(0x3000, Read).fault?.esr).toBe(0x96000004);
    expect(noTtst.debugTranslate(0x3000).stop).toMatch(/T0SZ is out of range/);
    const ttst = new A64Mmu(h, { ttbr0: root, tcr: 48n | (0b101n << 32n), sctlr: 1, ttst: true });
    expect(ttst.translate(0x3456, Read)).toMatchObject({ paddr: 0x7_0456 });
    expect(ttst.debugTranslate(0x3000)).toMatchObject({ inputSize: 16, startLevel: 3 });
    expect(ttst.translate(0x1_0000, Read).fault?.esr).toBe(0x96000004); // beyond 16 bits
  });

  it('a small root table (T0SZ = 20: 32 entries, 256-byte aligned); BADDR bits below it and CnP are masked', () => {
    const h = ram();
    const pt = A64PageTable.create(h);
    const va = 0x0f80_0000_7000; // VA[43:39] = 31
    pt.map(va, 0x70_0000, PageSize.Size4K, R | W);
    const l1 = h.read64((pt.rootPaddr as number) + 31 * 8);
    const root = 0x9100; // 256-byte aligned, not page aligned
    h.write64(root + 31 * 8, l1);
    const mmu = new A64Mmu(h, { ttbr0: root | 1, tcr: 20n | (0b101n << 32n), sctlr: 1 });
    expect(mmu.translate(va + 8, Read)).toMatchObject({ paddr: 0x70_0008 });
    expect(mmu.debugTranslate(va).steps[0]).toMatchObject({ lookupLevel: 0, index: 31, entryPaddr: root + 31 * 8 });
  });

  it('TTBR base beyond the output size: Address size fault, level 0', () => {
    const { h, root } = setup();
    const mmu = new A64Mmu(h, { ttbr0: root + 2 ** 32, tcr: 16n, sctlr: 1 }); // IPS = 0: 32 bits
    expect(mmu.translate(0x1000, Read).fault?.esr).toBe(0x96000000);
    expect(mmu.debugTranslate(0x1000).stop).toMatch(/TTBR0 base address beyond the 32-bit/);
  });

  it('IPS is bounded by the implemented PA size', () => {
    const h = ram();
    h.write64(0x8000, 0x1_0000_0000n | 0x743n); // page at 4 GiB
    const tcr = 48n | (0b101n << 32n);
    expect(new A64Mmu(h, { ttbr0: 0x8000, tcr, sctlr: 1, ttst: true }).translate(0x10, Read)).toMatchObject({
      paddr: 0x1_0000_0010,
    });
    const small = new A64Mmu(h, { ttbr0: 0x8000, tcr, sctlr: 1, ttst: true, paBits: 32 });
    expect(small.translate(0x10, Read).fault?.esr).toBe(0x96000003);
  });
});

describe('top byte ignore, E0PD, HPD, EPD1', () => {
  it('TBI0 ignores the top byte of data accesses; with TBID0 not of fetches', () => {
    const { mmu } = setup({ tcr: TCR_48 | TBI0 });
    const tagged = 0x7300_0000_0000_2010n;
    expect(mmu.translate(tagged, Read)).toMatchObject({ paddr: 0x10_1010 });
    expect(mmu.translate(tagged, Execute)).toMatchObject({ paddr: 0x10_1010 });
    mmu.tcr = TCR_48 | TBI0 | TBID0;
    expect(mmu.translate(tagged, Read)).toMatchObject({ paddr: 0x10_1010 });
    expect(mmu.translate(tagged, Execute).fault?.esr).toBe(0x86000004);
    // Bits 55..48 still count.
    expect(mmu.translate(0x7301_0000_0000_2010n, Read).fault?.esr).toBe(0x96000004);
    // Cached under the untagged VA: a differently tagged VA hits.
    mmu.resetStats();
    expect(mmu.translatePaHalves(0x1200_0000, 0x2010, Read)).toBe(0x10_1010);
    expect(mmu.stats.hits).toBe(1);
    // FAR keeps the tag.
    mmu.translate(0x5500_0000_0000_9000n, Read);
    expect(mmu.far).toBe(0x5500_0000_0000_9000n);
  });

  it('TBI1 for the upper range; an upper tag with bit 55 clear selects TTBR0', () => {
    const { mmu } = setup({ tcr: TCR_48 | TBI1 });
    expect(mmu.translate(0x00ff_0000_0000_1000n, Read)).toMatchObject({ paddr: 0x10_0000 }); // tag 0x00 on an upper VA
    expect(mmu.debugTranslate(0x00ff_0000_0000_1000n).ttbr).toBe(1);
    expect(mmu.translate(0x12ff_0000_0000_1000n, Read)).toMatchObject({ paddr: 0x10_0000 });
    expect(mmu.translate(0x1200_0000_0000_1000n, Read).fault?.esr).toBe(0x96000004); // TBI0 clear
  });

  it('E0PD0: EL0 accesses to the lower range fault at level 0 even when the TLB holds them', () => {
    const { mmu } = setup({ tcr: TCR_48 | E0PD0 });
    expect(mmu.translatePa(0x1000, Read)).toBe(0x10_0000); // EL1, cached
    mmu.el = 0;
    expect(mmu.translate(0x1000, Read).fault?.esr).toBe(0x92000004);
    expect(mmu.debugTranslate(0x1000).stop).toMatch(/E0PD0/);
    mmu.tcr = TCR_48 | E0PD1;
    expect(mmu.translate(0x1000, Read)).toMatchObject({ paddr: 0x10_0000 });
  });

  it('HPD0 disables APTable, UXNTable and PXNTable', () => {
    const { h, mmu } = setup();
    const l0 = mmu.debugTranslate(0x1000).steps[0].entryPaddr as number;
    h.write64(l0, h.read64(l0) | D.AP_NO_EL0_TABLE | D.AP_NO_WRITE_TABLE | D.XN_TABLE | D.PXN_TABLE);
    mmu.tlbiVmalle1();
    mmu.el = 0;
    expect(mmu.translate(0x1000, Read).fault?.esr).toBe(0x9200000f);
    mmu.el = 1;
    expect(mmu.translate(0x2000, Execute).fault?.esr).toBe(0x8600000f);
    expect(mmu.translate(0x1000, Write).fault?.esr).toBe(0x9600004f);
    mmu.tcr = TCR_48 | HPD0;
    expect(mmu.translate(0x2000, Execute)).toMatchObject({ paddr: 0x10_1000 });
    expect(mmu.translate(0x1000, Write)).toMatchObject({ paddr: 0x10_0000 });
    mmu.el = 0;
    expect(mmu.translate(0x1000, Write)).toMatchObject({ paddr: 0x10_0000, flags: R | W | U });
  });

  it('EPD1 disables upper-range walks only', () => {
    const { mmu } = setup({ tcr: TCR_48 | (1n << 23n) });
    expect(mmu.translate(0xffff_0000_0000_1000n, Read).fault?.esr).toBe(0x96000004);
    expect(mmu.translatePa(0x1000, Read)).toBe(0x10_0000);
  });
});

describe('faults from the walk', () => {
  it('a table outside physical memory: Synchronous External abort on the walk, at the level read', () => {
    const { h, mmu } = setup();
    const l1 = mmu.debugTranslate(0x1000).steps[1].entryPaddr as number;
    h.write64(l1, 0x4000_0000n | 3n); // L1[0] -> a table at 1 GiB (RAM is 4 MiB)
    mmu.tlbiVmalle1();
    const f = mmu.translate(0x1000, Write).fault!;
    expect(f).toMatchObject({ esr: 0x96000056, kind: A64FaultKind.ExternalAbortOnWalk, level: 2, wnr: true });
    expect(mmu.debugTranslate(0x1000).stop).toBe('table at level 2 outside physical memory');
  });

  it('MAIR memory types in the flags', () => {
    const h = ram();
    const pt = A64PageTable.create(h);
    pt.map(0x1000, 0x1000, PageSize.Size4K, R | W | DEV);
    pt.map(0x2000, 0x2000, PageSize.Size4K, R | W | UC);
    const mmu = new A64Mmu(h, { ttbr0: pt.rootPaddr, tcr: TCR_48, sctlr: 1, mair: MAIR });
    expect(mmu.translate(0x1000, Read)).toMatchObject({ flags: R | W | DEV });
    expect(mmu.translate(0x2000, Read)).toMatchObject({ flags: R | W | UC });
    mmu.mair = 0xffff_ffff;
    expect(mmu.translate(0x1000, Read)).toMatchObject({ flags: R | W });
  });
});

describe('hot path', () => {
  it('translatePa returns -1 and fills the fault fields; lastSize/lastFlags after a success', () => {
    const { mmu } = setup({ el: 0 });
    expect(mmu.translatePa(0x2345, Write)).toBe(-1);
    expect([
      mmu.faultEsr,
      mmu.faultEc,
      mmu.faultFsc,
      mmu.faultKind,
      mmu.faultLevel,
      mmu.faultWnr,
      mmu.faultFarHi,
      mmu.faultFarLo,
    ]).toEqual([0x9200004f, A64Ec.DataAbortLowerEl, 0x0f, A64FaultKind.Permission, 3, true, 0, 0x2345]);
    expect(formatA64Fault(mmu.lastFault!)).toBe(
      'Data Abort from EL0 (write): Permission fault, level 3 at 0x2345 (ESR 0x9200004f)',
    );
    expect(mmu.translatePa(0x20_1234, Read)).toBe(-1);
    mmu.el = 1;
    expect(mmu.translatePa(0x20_1234, Read)).toBe(0x20_1234);
    expect([mmu.lastSize, mmu.lastFlags]).toEqual([PageSize.Size2M, R | W]);
    expect(mmu.translatePaHalves(0, 0x1008, Write)).toBe(0x10_0008);
    expect([mmu.lastSize, mmu.lastFlags]).toEqual([PageSize.Size4K, R | W | U]);
    expect(mmu.stats).toEqual({ hits: 0, misses: 4, faults: 2 });
    expect(new A64Mmu(ram()).lastFault).toBeUndefined();
  });
});

describe('TLB', () => {
  it('counts hits, walks and faults; a block is cached per 4 KiB page', () => {
    const { mmu } = setup();
    mmu.translatePa(0x1000, Read);
    mmu.translatePa(0x1ff8, Write);
    mmu.translatePa(0x20_0000, Read);
    mmu.translatePa(0x20_1000, Read);
    mmu.translatePa(0x20_0040, Read);
    mmu.translatePa(0x9000, Read);
    expect(mmu.stats).toEqual({ hits: 2, misses: 4, faults: 1 });
    mmu.resetStats();
    expect(mmu.stats).toEqual({ hits: 0, misses: 0, faults: 0 });
  });

  it('serves a stale translation until the guest invalidates it (VAE1, VALE1, VAAE1, VMALLE1)', () => {
    const { h, pt, mmu } = setup();
    for (const tlbi of [
      () => mmu.tlbiVae1(0x1000, mmu.asid),
      () => mmu.tlbiVale1(0x1abc, 77),
      () => mmu.tlbiVaae1(0x1000),
      () => mmu.tlbiVaale1(0x1000),
      () => mmu.tlbiVmalle1(),
      () => mmu.tlbiVae1is(0x1000, 0),
      () => mmu.tlbiVaae1is(0x1000),
      () => mmu.tlbiVale1is(0x1000, 0),
      () => mmu.tlbiVaale1is(0x1000),
      () => mmu.tlbiVmalle1is(),
      () => mmu.tlbiAlle1(),
    ]) {
      pt.remap(0x1000, 0x10_0000, R | W | U);
      mmu.tlbiVmalle1();
      expect(mmu.translatePa(0x1000, Read)).toBe(0x10_0000);
      pt.remap(0x1000, 0x11_0000, R | W | U);
      expect(mmu.translatePa(0x1000, Read)).toBe(0x10_0000); // stale, as hardware may be
      tlbi();
      expect(mmu.translatePa(0x1000, Read)).toBe(0x11_0000);
    }
    expect(h.size).toBeGreaterThan(0);
  });

  it('invalidating any VA of a block drops every cached page of it', () => {
    const { pt, mmu } = setup();
    expect(mmu.translatePa(0x20_0000, Read)).toBe(0x20_0000);
    expect(mmu.translatePa(0x3f_f000, Read)).toBe(0x3f_f000);
    pt.unmap(0x20_0000);
    mmu.tlbiVaae1(0x2a_b000);
    expect(mmu.translatePa(0x20_0000, Read)).toBe(-1);
    expect(mmu.translatePa(0x3f_f000, Read)).toBe(-1);
  });

  it('tags nG translations with the ASID; global ones serve every ASID', () => {
    const { h, pt, mmu, root } = setup();
    const leaf = leafAddr(mmu, 0x1000);
    const setNg = () => h.write64(leaf, h.read64(leaf) | D.NG);
    setNg();
    mmu.ttbr0 = ttbrValue(root, 1);
    expect(mmu.translatePa(0x1000, Read)).toBe(0x10_0000); // nG, ASID 1
    expect(mmu.translatePa(0x2000, Read)).toBe(0x10_1000); // global
    pt.remap(0x1000, 0x12_0000, R | W | U);
    setNg();
    pt.remap(0x2000, 0x13_0000, R | X);
    mmu.ttbr0 = ttbrValue(root, 2); // no flush on a TTBR write
    mmu.resetStats();
    expect(mmu.translatePa(0x2000, Read)).toBe(0x10_1000); // the stale global entry serves ASID 2
    expect(mmu.translatePa(0x1000, Read)).toBe(0x12_0000); // ASID 1's entry does not: a walk
    expect(mmu.stats).toMatchObject({ hits: 1, misses: 1 });
    // ASID 2 now holds 0x1000 (nG, 0x12_0000). Under ASID 1 it misses.
    pt.remap(0x1000, 0x15_0000, R | W | U);
    setNg();
    mmu.ttbr0 = ttbrValue(root, 1);
    expect(mmu.translatePa(0x1000, Read)).toBe(0x15_0000); // ASID 1, cached now
    // ASIDE1 and VAE1 of another ASID leave it; VAE1 of another ASID drops global entries.
    pt.remap(0x1000, 0x16_0000, R | W | U);
    setNg();
    mmu.tlbiAside1(2);
    mmu.tlbiVae1(0x1000, 2);
    mmu.tlbiVae1(0x2000, 2);
    expect(mmu.translatePa(0x1000, Read)).toBe(0x15_0000);
    expect(mmu.translatePa(0x2000, Read)).toBe(0x13_0000);
    // ASIDE1 of the entry's ASID drops it, not the global entries.
    pt.remap(0x2000, 0x14_0000, R | X);
    mmu.tlbiAside1is(0x101); // 8-bit ASIDs: the upper byte is ignored
    expect(mmu.translatePa(0x1000, Read)).toBe(0x16_0000);
    expect(mmu.translatePa(0x2000, Read)).toBe(0x13_0000);
    // VAE1 of the entry's ASID drops it.
    pt.remap(0x1000, 0x17_0000, R | W | U);
    setNg();
    mmu.tlbiVae1(0x1000, 1);
    expect(mmu.translatePa(0x1000, Read)).toBe(0x17_0000);
    // With 16-bit ASIDs (TCR.AS; the TCR write flushes) the upper byte counts.
    mmu.tcr = TCR_48 | AS;
    mmu.ttbr0 = ttbrValue(root, 0x101);
    expect(mmu.asid).toBe(0x101);
    expect(mmu.translatePa(0x1000, Read)).toBe(0x17_0000);
    pt.remap(0x1000, 0x18_0000, R | W | U);
    setNg();
    mmu.tlbiAside1(0x1);
    expect(mmu.translatePa(0x1000, Read)).toBe(0x17_0000);
    mmu.tlbiAside1(0x101);
    expect(mmu.translatePa(0x1000, Read)).toBe(0x18_0000);
  });

  it('the micro-TLBs (last data page, last fetched page) never outlive an ASID switch or a TLBI', () => {
    const { h, pt, mmu, root } = setup();
    const leaf = leafAddr(mmu, 0x1000);
    h.write64(leaf, h.read64(leaf) | D.NG);
    mmu.ttbr0 = ttbrValue(root, 1);
    expect(mmu.translatePa(0x1000, Read)).toBe(0x10_0000);
    expect(mmu.translatePa(0x1008, Write)).toBe(0x10_0008); // the data micro-TLB
    pt.remap(0x1000, 0x12_0000, R | W | U);
    h.write64(leaf, h.read64(leaf) | D.NG);
    mmu.ttbr0 = ttbrValue(root, 2);
    expect(mmu.translatePa(0x1000, Read)).toBe(0x12_0000);
    expect(mmu.translatePa(0x2000, Execute)).toBe(0x10_1000);
    expect(mmu.translatePa(0x2004, Execute)).toBe(0x10_1004); // the fetch micro-TLB
    pt.remap(0x2000, 0x13_0000, R | X);
    expect(mmu.translatePa(0x2008, Execute)).toBe(0x10_1008); // stale until the TLBI
    mmu.tlbiVae1(0x2000, 7);
    expect(mmu.translatePa(0x2008, Execute)).toBe(0x13_0008);
    mmu.el = 0;
    expect(mmu.translatePa(0x2008, Execute)).toBe(-1);
    expect(mmu.translatePa(0x1000, Write)).toBe(0x12_0000);
    mmu.pan = true; // no effect at EL0
    mmu.el = 1;
    expect(mmu.translatePa(0x1000, Write)).toBe(-1); // PAN
  });

  it('never caches Translation, Address size or Access flag faults', () => {
    const { h, pt, mmu } = setup();
    expect(mmu.translatePa(0x5000, Read)).toBe(-1);
    pt.map(0x5000, 0x15_0000, PageSize.Size4K, R);
    expect(mmu.translatePa(0x5000, Read)).toBe(0x15_0000); // no TLBI needed
    const leaf = leafAddr(mmu, 0x5000);
    pt.unmap(0x5000);
    mmu.tlbiVaae1(0x5000);
    h.write64(leaf, 0x15_0000n | 0x3n); // AF clear
    expect(mmu.translate(0x5000, Read).fault?.kind).toBe(A64FaultKind.AccessFlag);
    h.write64(leaf, 0x15_0000n | 0x403n); // the OS sets AF, no TLBI
    expect(mmu.translatePa(0x5000, Read)).toBe(0x15_0000);
    mmu.tlbiVaae1(0x5000);
    h.write64(leaf, 0x1_0000_0000_0000n | 0x403n); // OA bit 48: RES0, not part of the 48-bit OA
    expect(mmu.translatePa(0x5000, Read)).toBe(0);
    mmu.tlbiVaae1(0x5000);
    mmu.tcr = (TCR_48 & ~(7n << 32n)) | (0b010n << 32n); // IPS 40 bits
    h.write64(leaf, 0x100_0000_0000n | 0x403n); // OA 2^40
    expect(mmu.translate(0x5000, Read).fault?.kind).toBe(A64FaultKind.AddressSize);
    h.write64(leaf, 0x15_0000n | 0x403n);
    expect(mmu.translatePa(0x5000, Read)).toBe(0x15_0000);
  });

  it('re-evaluates EL, PAN and WXN on every hit', () => {
    const { mmu } = setup();
    expect(mmu.translatePa(0x1000, Read)).toBe(0x10_0000);
    expect(mmu.translatePa(0x2000, Execute)).toBe(0x10_1000);
    mmu.resetStats();
    mmu.pan = true;
    expect(mmu.translatePa(0x1000, Read)).toBe(-1);
    mmu.pan = false;
    expect(mmu.translatePa(0x1000, Read)).toBe(0x10_0000);
    mmu.el = 0;
    expect(mmu.translatePa(0x2000, Execute)).toBe(-1);
    expect(mmu.faultEsr).toBe(0x8200000f);
    mmu.el = 1;
    mmu.sctlr = 1 | (1 << 19);
    expect(mmu.translatePa(0x2000, Execute)).toBe(0x10_1000); // read-only: WXN irrelevant
    expect(mmu.translatePa(0x20_0000, Execute)).toBe(-1); // EL1-writable
    expect(mmu.stats).toEqual({ hits: 2, misses: 3, faults: 3 }); // refused hits walk again
  });

  it('a relaxed permission is picked up by the walk a refused hit makes; tightening needs a TLBI', () => {
    const { pt, mmu } = setup();
    pt.map(0x6000, 0x16_0000, PageSize.Size4K, R);
    expect(mmu.translatePa(0x6000, Write)).toBe(-1);
    pt.protect(0x6000, R | W);
    expect(mmu.translatePa(0x6000, Write)).toBe(0x16_0000);
    pt.protect(0x6000, R);
    expect(mmu.translatePa(0x6000, Write)).toBe(0x16_0000); // stale
    mmu.tlbiVae1(0x6000, 0);
    expect(mmu.translatePa(0x6000, Write)).toBe(-1);
  });

  it('TCR writes flush; equal TCR and other register writes do not', () => {
    const { mmu } = setup();
    mmu.translatePa(0x1000, Read);
    mmu.tcr = TCR_48;
    mmu.mair = 0;
    mmu.pan = true;
    mmu.pan = false;
    mmu.resetStats();
    mmu.translatePa(0x1000, Read);
    expect(mmu.stats.hits).toBe(1);
    mmu.tcr = TCR_48 | HA;
    mmu.translatePa(0x1000, Read);
    expect(mmu.stats.misses).toBe(1);
  });

  it('tlbEntries: 0 walks every time', () => {
    const { mmu } = setup({ tlbEntries: 0 });
    for (let i = 0; i < 3; i++) expect(mmu.translatePa(0x1000, Read)).toBe(0x10_0000);
    mmu.tlbiVmalle1();
    mmu.tlbiVae1(0x1000, 0);
    mmu.tlbiVaae1(0x1000);
    mmu.tlbiAside1(0);
    expect(mmu.stats).toEqual({ hits: 0, misses: 3, faults: 0 });
  });

  it('tlbiOperand decodes Xt: VA[55:12] from Xt[43:0], ASID from Xt[63:48]', () => {
    expect(tlbiOperand(0x0012_0000_0000_0345n)).toEqual({ va: 0x34_5000, asid: 0x12 });
    expect(tlbiOperand(0x0000_0fff_0000_0001n)).toEqual({ va: 0xffff_f000_0000_1000n, asid: 0 });
    const { pt, mmu } = setup();
    mmu.translatePa(0x1000, Read);
    pt.remap(0x1000, 0x11_0000, R | W | U);
    const op = tlbiOperand(0x1n);
    mmu.tlbiVae1(op.va, op.asid);
    expect(mmu.translatePa(0x1000, Read)).toBe(0x11_0000);
  });
});

describe('hardware Access flag and dirty state', () => {
  it('sets AF only on a permitted access, and clears AP[2] of a DBM page only on a store', () => {
    const { h, pt, mmu } = setup({ tcr: TCR_48 | HA | HD });
    pt.map(0x7000, 0x17_0000, PageSize.Size4K, R);
    const leaf = leafAddr(mmu, 0x7000);
    const clean = (h.read64(leaf) & ~D.AF) | (1n << 51n); // AF = 0, RO, DBM
    h.write64(leaf, clean);
    mmu.el = 0; // kernel page: EL0 has no access, so nothing is written
    expect(mmu.translatePa(0x7000, Read)).toBe(-1);
    expect(h.read64(leaf)).toBe(clean);
    mmu.el = 1;
    expect(mmu.translatePa(0x7000, Execute)).toBe(-1); // PXN: fault, no write
    expect(h.read64(leaf)).toBe(clean);
    expect(mmu.translatePa(0x7000, Read)).toBe(0x17_0000);
    expect(h.read64(leaf)).toBe(clean | D.AF);
    expect(mmu.translatePa(0x7008, Write)).toBe(0x17_0008); // the cached RO entry refuses; the walk sets dirty
    expect(h.read64(leaf)).toBe((clean | D.AF) & ~D.AP_RO);
    expect(mmu.translate(0x7000, Write)).toMatchObject({ flags: R | W });
  });

  it('HD without HA has no effect; without FEAT_HAFDBS HA/HD are ignored', () => {
    const { h, pt, mmu } = setup({ tcr: TCR_48 | HD });
    pt.map(0x7000, 0x17_0000, PageSize.Size4K, R);
    const leaf = leafAddr(mmu, 0x7000);
    h.write64(leaf, h.read64(leaf) | (1n << 51n));
    expect(mmu.translate(0x7000, Write).fault?.kind).toBe(A64FaultKind.Permission);
    const off = new A64Mmu(h, { ttbr0: mmu.ttbr0, tcr: TCR_48 | HA | HD, sctlr: 1, hafdbs: false });
    expect(off.translate(0x7000, Write).fault?.kind).toBe(A64FaultKind.Permission);
  });

  it('updates in a SharedArrayBuffer with a compare-and-swap, and in a WebAssembly.Memory', () => {
    for (const buffer of [
      new SharedArrayBuffer(4 << 20),
      new WebAssembly.Memory({ initial: 64 }),
      new WebAssembly.Memory({ initial: 64, maximum: 128, shared: true }),
    ]) {
      const h = new RamHandler({ base: 0, buffer });
      const { mmu, pt } = setup({ tcr: TCR_48 | HA | HD }, h);
      pt.map(0x7000, 0x17_0000, PageSize.Size4K, R | W);
      const leaf = leafAddr(mmu, 0x7000);
      const v = (h.read64(leaf) & ~D.AF & ~D.AP_RO) | D.AP_RO | (1n << 51n);
      h.write64(leaf, v);
      expect(mmu.translatePa(0x7000, Write)).toBe(0x17_0000);
      expect(h.read64(leaf)).toBe((v | D.AF) & ~D.AP_RO);
    }
  });
});

describe('debugTranslate', () => {
  it('reports every level: entry address, value, kind; the leaf and its effective permissions', () => {
    const { h, mmu, root } = setup();
    const d = mmu.debugTranslate(0x1234);
    expect(d.steps.map((s) => [s.lookupLevel, s.level, s.index, s.kind])).toEqual([
      [0, 3, 0, 'table'],
      [1, 2, 0, 'table'],
      [2, 1, 0, 'table'],
      [3, 0, 1, 'page'],
    ]);
    expect(d.steps[0]).toMatchObject({ entryPaddr: root, entry: h.read64(root) });
    expect(d.result).toEqual({ paddr: 0x10_0234, size: PageSize.Size4K, flags: R | W | U });
    expect(d.stop).toBeUndefined();
    expect(d.leaf).toMatchObject({
      ap: 1,
      pxn: true,
      uxn: true,
      af: true,
      global: true,
      attrIndx: 1,
      memAttr: 0xff,
      el0: R | W | U,
      el1: R | W | U,
    });
    const b = mmu.debugTranslate(0x20_0000, Read);
    expect(b.steps[2].kind).toBe('block');
    expect(b.result).toMatchObject({ paddr: 0x20_0000, size: PageSize.Size2M });
  });

  it('says where and why a walk stops', () => {
    const { mmu } = setup({ el: 0 });
    const d = mmu.debugTranslate(0x9000);
    expect(d.steps.at(-1)?.kind).toBe('invalid');
    expect(d.stop).toBe('invalid descriptor at level 3');
    expect(d.result.fault?.esr).toBe(0x92000007);
    const p = mmu.debugTranslate(0x2000, Write);
    expect(p.stop).toBe('Permission fault at level 3: EL0 store not allowed');
    expect(p.leaf?.el0).toBe(0);
    expect(mmu.debugTranslate(0x0100_0000_0000_0000n).stop).toMatch(/outside both ranges/);
  });

  it('has no side effects: RAM, TLB, counters and fault fields untouched', () => {
    const { h, pt, mmu } = setup({ tcr: TCR_48 | HA | HD });
    pt.map(0x7000, 0x17_0000, PageSize.Size4K, R);
    const leaf = leafAddr(mmu, 0x7000);
    h.write64(leaf, (h.read64(leaf) & ~D.AF) | (1n << 51n));
    mmu.translatePa(0x9000, Read); // a fault to keep
    const stats = { ...mmu.stats };
    const esr = mmu.faultEsr;
    const before = h.bytes.slice();
    const same = () => Buffer.compare(h.bytes, before) === 0;
    const d = mmu.debugTranslate(0x7000, Write);
    expect(d.result).toMatchObject({ paddr: 0x17_0000, flags: R | W });
    expect(d.leaf?.update).toBe((h.read64(leaf) | D.AF) & ~D.AP_RO);
    expect(same()).toBe(true);
    expect(mmu.stats).toEqual(stats);
    expect(mmu.faultEsr).toBe(esr);
    mmu.debugTranslate(0x1000);
    mmu.resetStats();
    mmu.translatePa(0x1000, Read);
    expect(mmu.stats.misses).toBe(1); // the debug walk filled nothing
  });

  it('with the MMU off', () => {
    const m = new A64Mmu(ram(), { paBits: 36 });
    expect(m.debugTranslate(0x1000)).toMatchObject({ steps: [], result: { paddr: 0x1000 } });
    expect(m.debugTranslate(2 ** 36).stop).toMatch(/MMU off/);
  });
});

describe('the EL2 regime (HCR_EL2.E2H = 0)', () => {
  const TCR_EL2 = 16 | (0b101 << 16) | (1 << 23); // T0SZ 16, PS 48 bits, RES1 bit 23 (bit 31 too, ignored)
  function el2() {
    const h = ram();
    const hyp = A64PageTable.create(h, { regime: 'el2' });
    hyp.map(0x1000, 0x20_0000, PageSize.Size4K, R | W); // XN
    hyp.map(0x2000, 0x20_1000, PageSize.Size4K, R | X); // read-only, executable
    const os = A64PageTable.create(h);
    os.map(0x1000, 0x30_0000, PageSize.Size4K, R | W | U);
    const mmu = new A64Mmu(h, {
      ttbr0: os.rootPaddr,
      tcr: TCR_48,
      sctlr: 1,
      mair: MAIR,
      ttbr0El2: hyp.rootPaddr,
      tcrEl2: TCR_EL2,
      sctlrEl2: 1,
      mairEl2: MAIR,
      el: 2,
    });
    return { h, hyp, os, mmu };
  }

  it('walks TTBR0_EL2 with AP[2] and XN only; aborts are taken to EL2 from the same EL', () => {
    const { mmu } = el2();
    expect(mmu.translate(0x1234, Write)).toEqual({ paddr: 0x20_0234, size: PageSize.Size4K, flags: R | W });
    expect(mmu.translate(0x2000, Execute)).toEqual({ paddr: 0x20_1000, size: PageSize.Size4K, flags: R | X });
    const f = mmu.translate(0x1000, Execute).fault!;
    expect(f).toEqual({
      esr: 0x8600000f,
      far: 0x1000,
      ec: A64Ec.InstructionAbortSameEl,
      fsc: 0x0f,
      kind: A64FaultKind.Permission,
      level: 3,
      wnr: false,
      el: 2,
    });
    expect(formatA64Fault(f)).toBe(
      'Instruction Abort from EL2 (fetch): Permission fault, level 3 at 0x1000 (ESR 0x8600000f)',
    );
    expect(mmu.translate(0x2000, Write).fault?.esr).toBe(0x9600004f);
    expect(mmu.translate(0x3000, Read).fault?.esr).toBe(0x96000007);
    expect(mmu.translatePa(0x3000, Read)).toBe(-1);
    expect(mmu.faultEl).toBe(2);
  });

  it('ignores AP[1], PXN, APTable[0] and PXNTable; honours APTable[1], XNTable and SCTLR_EL2.WXN', () => {
    const { h, mmu } = el2();
    const leaf = leafAddr(mmu, 0x2000);
    h.write64(leaf, h.read64(leaf) | D.AP_EL0 | D.PXN);
    const l0 = mmu.debugTranslate(0x2000).steps[0].entryPaddr as number;
    h.write64(l0, h.read64(l0) | D.AP_NO_EL0_TABLE | D.PXN_TABLE);
    mmu.tlbiAlle2();
    expect(mmu.translate(0x2000, Execute)).toMatchObject({ paddr: 0x20_1000, flags: R | X });
    h.write64(l0, h.read64(l0) | D.XN_TABLE);
    mmu.tlbiVae2(0x2000);
    expect(mmu.translate(0x2000, Execute).fault?.esr).toBe(0x8600000f);
    h.write64(l0, (h.read64(l0) & ~D.XN_TABLE) | D.AP_NO_WRITE_TABLE);
    mmu.tlbiVale2(0x1000);
    mmu.tlbiVale2is(0x2000);
    expect(mmu.translate(0x1000, Write).fault?.esr).toBe(0x9600004f);
    mmu.tcrEl2 = TCR_EL2 | (1 << 24); // HPD
    expect(mmu.translate(0x1000, Write)).toMatchObject({ paddr: 0x20_0000 });
    // WXN: the writable XN page stays XN; make the RX page writable and it loses X.
    mmu.sctlrEl2 = 1 | (1 << 19);
    h.write64(leaf, h.read64(leaf) & ~D.AP_RO);
    mmu.tlbiAlle2is();
    expect(mmu.translate(0x2000, Execute).fault?.esr).toBe(0x8600000f);
    mmu.sctlrEl2 = 1;
    expect(mmu.translate(0x2000, Execute)).toMatchObject({ flags: R | W | X });
  });

  it('a single range: bits above T0SZ must be 0 (bit 55 too), TBI ignores the top byte', () => {
    const { mmu } = el2();
    expect(mmu.translate(0xffff_0000_0000_1000n, Read).fault?.esr).toBe(0x96000004);
    expect(mmu.translate(0x2a00_0000_0000_1000n, Read).fault?.esr).toBe(0x96000004);
    mmu.tcrEl2 = TCR_EL2 | (1 << 20); // TBI
    expect(mmu.translate(0x2a00_0000_0000_1000n, Read)).toMatchObject({ paddr: 0x20_0000 });
    expect(mmu.translate(0x2a80_0000_0000_1000n, Read).fault?.esr).toBe(0x96000004);
    expect(mmu.debugTranslate(0x2a80_0000_0000_1000n).stop).toMatch(/outside/);
    mmu.tcrEl2 = TCR_EL2 | (1 << 20) | (1 << 29); // TBID: fetches keep the top byte
    expect(mmu.translate(0x2a00_0000_0000_2000n, Execute).fault?.esr).toBe(0x86000004);
  });

  it('keeps EL2 and EL1&0 translations apart in the TLB', () => {
    const { mmu } = el2();
    expect(mmu.translatePa(0x1000, Read)).toBe(0x20_0000);
    mmu.el = 1;
    expect(mmu.translatePa(0x1000, Read)).toBe(0x30_0000);
    mmu.el = 2;
    mmu.resetStats();
    expect(mmu.translatePa(0x1000, Read)).toBe(0x20_0000);
    mmu.el = 1;
    expect(mmu.translatePa(0x1000, Read)).toBe(0x30_0000);
    expect(mmu.stats).toMatchObject({ hits: 2, misses: 0 });
    mmu.tlbiVae2(0x1000); // EL1&0 entry stays
    mmu.tlbiAside1(0);
    mmu.tlbiVaae1(0x5000);
    expect(mmu.translatePa(0x1000, Read)).toBe(0x30_0000);
    mmu.el = 2;
    mmu.tlbiVae1(0x1000, 0); // EL2 entry stays
    mmu.tlbiAside1(0);
    expect(mmu.translatePa(0x1000, Read)).toBe(0x20_0000);
    expect(mmu.stats).toMatchObject({ hits: 3, misses: 1 });
  });

  it('TCR_EL2.HA sets AF, HD with DBM sets the dirty state; PS bounds the output', () => {
    const { h, hyp, mmu } = el2();
    hyp.map(0x4000, 0x20_4000, PageSize.Size4K, R);
    const leaf = leafAddr(mmu, 0x4000);
    const clean = (h.read64(leaf) & ~D.AF) | (1n << 51n);
    h.write64(leaf, clean);
    expect(mmu.translate(0x4000, Read).fault?.esr).toBe(0x9600000b);
    mmu.tcrEl2 = TCR_EL2 | (1 << 21) | (1 << 22);
    expect(mmu.translatePa(0x4000, Write)).toBe(0x20_4000);
    expect(h.read64(leaf)).toBe((clean | D.AF) & ~D.AP_RO);
    mmu.tcrEl2 = 16; // PS = 32 bits
    h.write64(leaf, 0x1_0000_0000n | 0x743n);
    expect(mmu.translate(0x4000, Read).fault?.esr).toBe(0x96000003);
  });

  it('debugTranslate and the MMU off at EL2', () => {
    const { mmu } = el2();
    const d = mmu.debugTranslate(0x1000, Write);
    expect(d).toMatchObject({ regime: 'EL2', ttbr: 0, startLevel: 0, result: { paddr: 0x20_0000 } });
    expect(d.asid).toBeUndefined();
    expect(d.leaf).toMatchObject({ el0: 0, el1: 0, el2: R | W, global: true, uxn: true });
    mmu.el = 1;
    expect(mmu.debugTranslate(0x1000)).toMatchObject({ regime: 'EL1&0', asid: 0, leaf: { el0: R | W | U } });
    mmu.el = 2;
    mmu.sctlrEl2 = 0;
    expect(mmu.translate(0x1000, Read)).toMatchObject({ paddr: 0x1000 });
    expect(mmu.debugTranslate(0x1000)).toMatchObject({ regime: 'EL2', steps: [], result: { paddr: 0x1000 } });
    mmu.sctlr = 0; // EL1's M does not matter at EL2
    mmu.sctlrEl2 = 1;
    expect(mmu.translate(0x1000, Read)).toMatchObject({ paddr: 0x20_0000 });
    expect([mmu.ttbr0El2, mmu.tcrEl2, mmu.sctlrEl2, mmu.mairEl2]).toEqual([
      mmu.debugTranslate(0x1000).steps[0].entryPaddr,
      TCR_EL2,
      1,
      MAIR,
    ]);
    mmu.setRegisters({ mairEl2: 0, ttbr0El2: 0x30_0000, tcrEl2: TCR_EL2, sctlrEl2: 1 }); // an empty frame
    expect(mmu.translate(0x1000, Read)).toMatchObject({ paddr: 0x20_0000 }); // stale until a TLBI, as on hardware
    mmu.tlbiAlle2();
    expect(mmu.translate(0x1000, Read).fault?.kind).toBe(A64FaultKind.Translation);
  });
});

describe('ESR and FSC helpers', () => {
  it('encodes and decodes', () => {
    expect(faultStatusCode(A64FaultKind.Translation, 3)).toBe(0x07);
    expect(faultStatusCode(A64FaultKind.ExternalAbortOnWalk, 1)).toBe(0x15);
    expect(() => faultStatusCode(A64FaultKind.Permission, 4)).toThrow(RangeError);
    expect(() => faultStatusCode(0x10 as A64FaultKind, 0)).toThrow(RangeError);
    expect(decodeFsc(0x0e)).toEqual({ kind: A64FaultKind.Permission, level: 2 });
    expect(decodeFsc(0x21)).toBeUndefined(); // alignment fault
    expect(decodeFsc(0x40)).toBeUndefined();
    expect(abortEsr(A64Ec.InstructionAbortSameEl, 0x0b, true)).toBe(0x8600000b); // no WnR in an Instruction Abort
    expect(decodeEsr(0x82000006)).toMatchObject({
      ec: 0x20,
      abort: true,
      instruction: true,
      lowerEl: true,
      fault: { kind: A64FaultKind.Translation, level: 2 },
      wnr: false,
    });
    expect(decodeEsr(0x5600_0000n)).toMatchObject({ ec: 0x15, abort: false });
    expect(decodeEsr(0x5600_0000n).fault).toBeUndefined();
    expect(decodeEsr(0x9600_0000 | (1 << 24) | (1 << 10) | (1 << 9) | (1 << 8) | (1 << 7))).toMatchObject({
      isv: true,
      fnv: true,
      ea: true,
      cm: true,
      s1ptw: true,
    });
  });
});
