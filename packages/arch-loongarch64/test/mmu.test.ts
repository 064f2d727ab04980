import { Access, MappingFlags, PageSize, RamHandler } from '@page-table/core';
import { describe, expect, it } from 'vitest';
import {
  estatCode,
  estatWithFault,
  faultFromEstat,
  LA64Ecode,
  LA64Mmu,
  la64Fault,
  la64FaultName,
  la64WalkLayout,
  PWCH_3LEVEL,
  PWCL_3LEVEL,
  pwch,
  pwcl,
  tlbehiVppn,
} from '../src/index.js';
import { l0, l0Ram, linuxRefill, pg, sameBytes } from './mmu-helpers.js';

const { Read, Write, Execute } = Access;
const { READ: R, WRITE: W, EXECUTE: X, USER: U, DEVICE, UNCACHED } = MappingFlags;

describe('LA64Mmu: construction and registers', () => {
  it('omitted CSRs take their reset values: CRMD = 0x8 (direct translation), DMW without PLVs, ASID 0', () => {
    const mmu = new LA64Mmu(l0Ram());
    expect(mmu.registers).toEqual({
      crmd: 0x8,
      pgdl: 0n,
      pgdh: 0n,
      pwcl: 0x13e4_d52c,
      pwch: 0x267,
      asid: 0,
      dmw: [0n, 0n, 0n, 0n],
      stlbps: 12,
      misc: 0,
    });
    expect(mmu.translate(0xffff_0000_1234_5678n, Read)).toEqual({
      paddr: 0x1234_5678,
      size: 2 ** 48, // direct translation is linear over all of PALEN
      flags: R | W | X | DEVICE, // DATM = 0: strongly-ordered uncached
    });
    expect(mmu.ptw).toBe(true);
  });

  it('takes numbers and bigints, keeps what the CSRs keep, and rejects non-integers', () => {
    const mmu = new LA64Mmu(l0Ram(), { crmd: 0x10n, pgdl: 0x1_2345_6fffn, asid: 0xfff, dmw1: 0x8000_0000_0000_0019n });
    expect(mmu.registers).toMatchObject({
      crmd: 0x10,
      pgdl: 0x1_2345_6000n,
      asid: 0x3ff,
      dmw: [0n, 0x8000_0000_0000_0019n, 0n, 0n],
    });
    mmu.crmd = -0x7fff_fff0; // a signed value is taken as two's complement
    expect(mmu.registers.crmd).toBe(0x8000_0010);
    mmu.pgdh = -4096n;
    expect(mmu.registers.pgdh).toBe(0xffff_ffff_ffff_f000n);
    expect(() => {
      mmu.crmd = 2 ** 64;
    }).toThrow(RangeError);
    expect(() => {
      mmu.pgdh = 1.5;
    }).toThrow(RangeError);
    // Each CSR reads back as a property, as `registers` shows it.
    mmu.dmw2 = 0x9000_0000_0000_0011n;
    mmu.misc = 1 << 17;
    mmu.stlbps = 21;
    const r = mmu.registers;
    expect([mmu.crmd, mmu.pgdl, mmu.pgdh, mmu.pwcl, mmu.pwch, mmu.asid, mmu.stlbps, mmu.misc]).toEqual([
      r.crmd,
      r.pgdl,
      r.pgdh,
      r.pwcl,
      r.pwch,
      r.asid,
      r.stlbps,
      r.misc,
    ]);
    expect([mmu.dmw0, mmu.dmw1, mmu.dmw2, mmu.dmw3]).toEqual(r.dmw);
    expect(mmu.dmw2).toBe(0x9000_0000_0000_0011n);
    expect(mmu.stlbps).toBe(21);
    expect(() => new LA64Mmu(l0Ram(), { palen: 52 })).toThrow(RangeError);
    expect(() => mmu.translate(0x1000, 3 as Access)).toThrow(RangeError);
  });

  it('DATF / DATM give the memory type of direct translation, per access kind', () => {
    const mmu = new LA64Mmu(l0Ram(), { crmd: 0x8 | (1 << 5) | (2 << 7) });
    expect(mmu.translate(0x1000, Execute)).toMatchObject({ flags: R | W | X });
    expect(mmu.translate(0x1000, Read)).toMatchObject({ flags: R | W | X | UNCACHED });
  });

  it('rejects walk layouts it does not support, with the reason', () => {
    expect(() => new LA64Mmu(l0Ram(), { pwcl: 0x13e4_d52c | (1 << 30) })).toThrow(/PTEWidth=1 \(128-bit entries\)/);
    expect(
      () =>
        new LA64Mmu(l0Ram(), {
          pwcl: pwcl({ ptBase: 10, ptWidth: 9, dir1Base: 19, dir1Width: 9, dir2Base: 28, dir2Width: 9 }),
        }),
    ).toThrow(/PTbase=10/);
    expect(() => la64WalkLayout(0x13e4_d52c, pwch({ dir3Base: 30, dir3Width: 9 }))).toThrow(/Dir3_base=30 .* overlaps/);
    expect(() =>
      la64WalkLayout(pwcl({ ptBase: 12, ptWidth: 0, dir1Base: 21, dir1Width: 9, dir2Base: 30, dir2Width: 9 }), 0),
    ).toThrow(/PTwidth=0/);
    expect(la64WalkLayout(PWCL_3LEVEL, PWCH_3LEVEL).levels).toEqual([2, 1]);
    expect(la64WalkLayout(0x13e4_d52c, 0x267 | (1 << 24)).levels).toEqual([3, 2, 1]); // v1.1 HPTW_En ignored
  });

  it('pwcl / pwch accept a transient layout; the next walk throws; setPwc checks at once', () => {
    const { mmu } = l0();
    mmu.pwcl = 0x13e4_d52c | (2 << 30); // a negative int32, as bit operations make it: taken as 32 bits
    expect(() => mmu.translate(0x4000, Read)).toThrow(/PTEWidth=2/);
    expect(() => mmu.lddir(0x10000, 3, 0x4000)).toThrow(RangeError);
    expect(() => mmu.setPwc(0x13e4_d52c, pwch({ dir3Base: 30, dir3Width: 9 }))).toThrow(/overlaps/);
    expect(mmu.registers.pwch).toBe(0x267);
    mmu.pwcl = 0x13e4_d52c;
    expect(mmu.translate(0x4000, Read)).toMatchObject({ paddr: 0x40000 });
  });
});

describe('LA64Mmu: the hot path', () => {
  it('translatePa / translatePaHalves return the PA or -1, with the fault in fields', () => {
    const { mmu } = l0();
    expect(mmu.translatePa(0x4123, Read)).toBe(0x40123);
    expect(mmu.lastFlags).toBe(R | W | X);
    expect(mmu.lastSize).toBe(PageSize.Size4K);
    expect(mmu.translatePa(0x5004, Write)).toBe(-1);
    expect([mmu.faultEcode, mmu.faultEsubcode, mmu.faultRefill, mmu.faultVaHi, mmu.faultVaLo]).toEqual([
      LA64Ecode.PME,
      0,
      false,
      0,
      0x5004,
    ]);
    expect(mmu.lastFault).toEqual({ ecode: 4, esubcode: 0, badv: 0x5004, name: 'PME' });
    expect(mmu.translatePaHalves(0x8000, 0, Read)).toBe(-1);
    expect(mmu.lastFault).toEqual({ ecode: 8, esubcode: 1, badv: 0x8000_0000_0000, name: 'ADEM' });
    expect(mmu.translatePaHalves(0, 0x2a_bcde, Execute)).toBe(0x2a_bcde);
    expect(mmu.lastSize).toBe(PageSize.Size2M);
    expect(mmu.stats).toEqual({ hits: 1, misses: 2, faults: 2 });
  });

  it('a high-half VA walks from PGDH', () => {
    const { ram, mmu } = l0({ pgdh: 0x20000 });
    ram.write64(0x20000 + 256 * 8, 0x11000n); // Dir3[256] (VA bit 47 set) → the same Dir2
    expect(mmu.translatePaHalves(0xffff_8000, 0x4123, Read)).toBe(0x40123);
    expect(mmu.translate(0xffff_8000_0000_4123n, Read)).toMatchObject({ paddr: 0x40123 });
    expect(mmu.tlbrd(mmu.tlbsrch(0xffff_8000_0000_4000n))).toMatchObject({ ehi: 0xffff_8000_0000_4000n });
    expect(mmu.pgd(0xffff_8000_0000_4123n)).toBe(0x20000n);
    expect(mmu.pgd(0x4123)).toBe(0x10000n);
  });

  it('privilege changes need no flush: PLV, RPLV and MISC.DWPL are checked on every hit', () => {
    const { mmu } = l0();
    expect(mmu.translatePa(0x4000, Read)).toBe(0x40000);
    mmu.crmd = pg(3);
    expect(mmu.translatePa(0x4000, Read)).toBe(-1);
    expect(mmu.faultEcode).toBe(LA64Ecode.PPI);
    mmu.crmd = pg(0);
    expect(mmu.translatePa(0x5000, Write)).toBe(-1); // D=0
    mmu.misc = 1 << 16; // DWPL0: no D check at PLV0
    expect(mmu.translatePa(0x5000, Write)).toBe(0x50000);
    expect(mmu.lastFlags).toBe(R | W | X);
    mmu.crmd = pg(1);
    expect(mmu.translatePa(0x5000, Write)).toBe(-1); // DWPL1 clear
    expect(mmu.stats.misses).toBe(1);
  });

  it('the TLB is tagged by ASID; a global entry matches every ASID', () => {
    const { mmu } = l0({ asid: 1 });
    expect(mmu.translatePa(0x4000, Read)).toBe(0x40000);
    mmu.asid = 2;
    expect(mmu.translatePa(0x4000, Read)).toBe(0x40000);
    expect(mmu.stats.misses).toBe(2); // a second entry, for ASID 2
    expect(mmu.tlbsrch(0x4000, 1)).not.toBe(mmu.tlbsrch(0x4000, 2));
    mmu.tlbfill({ ehi: 0x10_0000, elo0: 0x7_0053n, elo1: 0x7_1053n, ps: 12, asid: 9 }); // G in both halves
    expect(mmu.translatePa(0x10_0123, Read)).toBe(0x70123);
    expect(mmu.translatePa(0x10_1123, Read)).toBe(0x71123);
    mmu.tlbfill({ ehi: 0x30_0000, elo0: 0x7_0053n, elo1: 0x7_1013n, ps: 12, asid: 9 }); // G in one half only
    expect(mmu.tlbrd(mmu.tlbsrch(0x30_0000, 9))).toMatchObject({ g: false, asid: 9 });
    expect(mmu.tlbsrch(0x30_0000)).toBe(-1); // not global: ASID 2 does not match
    expect(mmu.translatePa(0x30_0000, Read)).toBe(0x30_0000); // walked: the L0 huge page
  });

  it('DMW0/1 serve fetches and data, DMW2/3 data only; MAT and PLV3 show in the flags', () => {
    const { mmu } = l0({ dmw2: 0xa000_0000_0000_0008n | (2n << 4n), crmd: pg(3) });
    expect(mmu.translate(0xa000_0000_0001_0000n, Read)).toEqual({
      paddr: 0x10000,
      size: 2 ** 48,
      flags: R | W | U | UNCACHED,
    });
    expect(mmu.translate(0xa000_0000_0001_0000n, Execute).fault?.name).toBe('ADEF');
    mmu.dmw1 = 0xa000_0000_0000_0009n; // PLV0 and PLV3, MAT 0
    expect(mmu.translate(0xa000_0000_0001_0000n, Execute)).toMatchObject({
      paddr: 0x10000,
      flags: R | W | X | U | DEVICE,
    });
  });

  it('the software TLB caps cached pages to its size but never loses an architectural entry', () => {
    const { mmu } = l0({ softTlbEntries: 1 });
    for (let k = 0; k < 3; k++) {
      expect(mmu.translatePa(0x4000, Read)).toBe(0x40000);
      expect(mmu.translatePa(0x5000, Read)).toBe(0x50000);
      expect(mmu.translatePa(0x2a_bcde, Read)).toBe(0x2a_bcde);
    }
    expect(mmu.stats).toEqual({ hits: 7, misses: 2, faults: 0 });
  });

  it('reads tables in place from a SharedArrayBuffer or a WebAssembly.Memory', () => {
    const sab = new SharedArrayBuffer(1 << 20);
    const wasm = new WebAssembly.Memory({ initial: 16 });
    for (const buffer of [sab, wasm]) {
      const ram = new RamHandler({ buffer });
      const mmu = new LA64Mmu(ram, { crmd: pg(), pgdl: 0x10000 });
      const view = new DataView(buffer instanceof WebAssembly.Memory ? buffer.buffer : buffer);
      view.setBigUint64(0x10000, 0x11000n, true);
      view.setBigUint64(0x11000, 0x12000n, true);
      view.setBigUint64(0x12000, 0x13000n, true);
      view.setBigUint64(0x13020, 0x4_0193n, true);
      expect(mmu.translatePa(0x4abc, Write)).toBe(0x40abc);
    }
  });

  it('an entry read from unbacked memory reads as 0 (an invalid page)', () => {
    const ram = new RamHandler({ base: 0x10000, size: 0x10000 });
    ram.write64(0x10000, 0x11000n);
    ram.write64(0x11000, 0x12000n);
    ram.write64(0x12000, 0x9000_0000n); // Dir1[0] → a PT outside RAM
    const mmu = new LA64Mmu(ram, { crmd: pg(), pgdl: 0x10000 });
    expect(mmu.translate(0x4000, Read).fault?.name).toBe('PIL');
    expect(mmu.debugTranslate(0x4000).stop).toMatch(/PA 0x90000020 is not backed by memory/);
  });
});

describe('LA64Mmu: other walk layouts', () => {
  it('the package 3-level layout (Dir2 root, PWCH 0) walks lddir 2, 1', () => {
    const ram = new RamHandler({ base: 0, size: 1 << 20 });
    ram.write64(0x11000 + 1 * 8, 0x12000n); // Dir2[1] (VA bit 30)
    ram.write64(0x12000 + 2 * 8, 0x13000n); // Dir1[2] (VA bit 22)
    ram.write64(0x13000 + 3 * 8, 0x5_5193n); // PT[3]
    const mmu = new LA64Mmu(ram, { crmd: pg(), pgdl: 0x11000, pwcl: PWCL_3LEVEL, pwch: PWCH_3LEVEL });
    const va = 0x4040_3abc;
    expect(mmu.translatePa(va, Read)).toBe(0x5_5abc);
    const { mmu: guest } = {
      mmu: new LA64Mmu(ram, { crmd: pg(), pgdl: 0x11000, pwcl: PWCL_3LEVEL, pwch: PWCH_3LEVEL, ptw: false }),
    };
    expect(guest.translatePa(va, Read)).toBe(-1);
    linuxRefill(guest, va, [2, 1]);
    expect(guest.translatePa(va, Read)).toBe(0x5_5abc);
    expect(mmu.debugTranslate(va).steps.map((s) => [s.level, s.index, s.entryPaddr])).toEqual([
      [2, 1, 0x11008],
      [1, 2, 0x12010],
      [0, 2, 0x13010],
      [0, 3, 0x13018],
    ]);
  });

  it('3-level layout: a huge Dir1 entry whose bits 14:13 name the absent Dir3 is split at Dir1 (a 2 MiB page), and debugTranslate reports it', () => {
    const ram = new RamHandler({ base: 0, size: 1 << 20 });
    ram.write64(0x11000 + 1 * 8, 0x12000n); // Dir2[1]
    // Dir1[2]: 2M huge V D MAT1 P W at PA 0x40_0000, with the level mark 3 in bits 14:13 (a hostile entry).
    ram.write64(0x12000 + 2 * 8, 0x40_0000n | 0x1d3n | (3n << 13n));
    const mmu = new LA64Mmu(ram, { crmd: pg(), pgdl: 0x11000, pwcl: PWCL_3LEVEL, pwch: PWCH_3LEVEL });
    const va = 0x4041_2345;
    const r = mmu.translate(va, Read);
    expect(r).toEqual({ paddr: 0x41_2345, size: 0x20_0000, flags: R | W | X });
    const d = mmu.debugTranslate(va, Read);
    expect(d.result).toEqual(r);
    expect(d.steps.map((s) => s.level)).toEqual([2, 1]);
    expect(d.leafSize).toBe(0x20_0000);
    // The LDPTE instruction given such an entry directly splits it by the PT rule, never into 1-byte halves.
    expect(mmu.ldpte(0x40_0000n | 0x1d3n | (3n << 13n), 0, va).ps).toBe(20);
  });

  it("Linux's 16 KiB-page 3-level layout (Dir3 + Dir1, 2048-entry tables) walks lddir 3, 1 with PS 14", () => {
    const lpwcl = pwcl({ ptBase: 14, ptWidth: 11, dir1Base: 25, dir1Width: 11, dir2Base: 0, dir2Width: 0 });
    const lpwch = pwch({ dir3Base: 36, dir3Width: 11 });
    const ram = new RamHandler({ base: 0, size: 1 << 20 });
    const va = 0x12_3456_7abcn; // Dir3 index 0x12 >> 4 = 1, Dir1 index (va >> 25) & 2047, PT index (va >> 14) & 2047
    const i3 = Number(va >> 36n) & 2047;
    const i1 = Number(va >> 25n) & 2047;
    const ip = Number(va >> 14n) & 2047;
    ram.write64(0x10000 + i3 * 8, 0x2_0000n); // 16 KiB-aligned tables spanning four 4 KiB frames
    ram.write64(0x2_0000 + i1 * 8, 0x3_0000n);
    ram.write64(0x3_0000 + ip * 8, 0x8_4193n); // PPN 0x84000 (16 KiB page)
    ram.write64(0x3_0000 + (ip ^ 1) * 8, 0x8_8193n);
    const mmu = new LA64Mmu(ram, { crmd: pg(), pgdl: 0x10000, pwcl: lpwcl, pwch: lpwch });
    expect(mmu.translate(va, Read)).toEqual({ paddr: 0x8_4000 + Number(va & 0x3fffn), size: 0x4000, flags: R | W | X });
    expect(mmu.tlbrd(mmu.tlbsrch(va))).toMatchObject({ ps: 14 });
    expect(mmu.registers.stlbps).toBe(14); // defaults to PTbase
    expect(mmu.translatePa(Number(va ^ 0x4000n), Read)).toBe(0x8_8000 + Number(va & 0x3fffn)); // the other half
    const steps = mmu.debugTranslate(va).steps;
    expect(steps.map((s) => s.level)).toEqual([3, 1, 0, 0]);
  });
});

describe('LA64Mmu: debugTranslate', () => {
  it('reports the walk, the entry a refill would write, and changes nothing', () => {
    const { ram, mmu } = l0();
    const before = ram.bytes.slice();
    const d = mmu.debugTranslate(0x4123, Write);
    expect(d.path).toBe('walk');
    expect(d.steps).toEqual([
      { level: 3, index: 0, entryPaddr: 0x10000, entry: 0x11000n },
      { level: 2, index: 0, entryPaddr: 0x11000, entry: 0x12000n },
      { level: 1, index: 0, entryPaddr: 0x12000, entry: 0x13000n },
      { level: 0, index: 4, entryPaddr: 0x13020, entry: 0x4_0193n },
      { level: 0, index: 5, entryPaddr: 0x13028, entry: 0x5_0091n },
    ]);
    expect(d.entry).toMatchObject({ index: -1, ehi: 0x4000, ps: 12, elo0: 0x4_0013n, elo1: 0x5_0011n });
    expect(d.result).toEqual({ paddr: 0x40123, size: PageSize.Size4K, flags: R | W | X });
    expect(d.perms).toBe(R | W | X);
    expect(mmu.tlbsrch(0x4000)).toBe(-1);
    expect(mmu.stats).toEqual({ hits: 0, misses: 0, faults: 0 });
    expect(sameBytes(ram.bytes, before)).toBe(true);
    // What translate then returns is what debugTranslate said.
    expect(mmu.translate(0x4123, Write)).toEqual(d.result);
    expect(mmu.debugTranslate(0x4123, Write)).toMatchObject({ path: 'tlb', result: d.result });
  });

  it('says why an access faults, and shows a stale entry against the current tables', () => {
    const { ram, mmu } = l0();
    mmu.translate(0x6000, Read);
    ram.write64(0x13030, 0x6_0193n);
    const d = mmu.debugTranslate(0x6000, Execute);
    expect(d.path).toBe('tlb');
    expect(d.result).toEqual({ fault: { ecode: 3, esubcode: 0, badv: 0x6000, name: 'PIF' } });
    expect(d.perms).toBe(0);
    expect(d.steps.at(-2)).toEqual({ level: 0, index: 6, entryPaddr: 0x13030, entry: 0x6_0193n });
    expect(d.stop).toMatch(/TLB entry \d+ matches .*PIF: the page is invalid \(V=0\)/);
    mmu.crmd = pg(3);
    expect(mmu.debugTranslate(0x4000).stop).toMatch(/PPI: CRMD.PLV=3 is above the page's PLV 0/);
    expect(mmu.debugTranslate(0xa000, Write).result).toMatchObject({ paddr: 0xa000 * 16 });
  });

  it('huge entries, refills, windows, direct mode and address errors', () => {
    const { mmu } = l0({ ptw: false, dmw0: 0x9000_0000_0000_0001n });
    const huge = mmu.debugTranslate(0x3a_bcde);
    expect(huge.path).toBe('refill');
    expect(huge.result.fault).toMatchObject({ refill: true, name: 'TLBR' });
    expect(huge.steps.map((s) => s.level)).toEqual([3, 2, 1]);
    expect(huge.stop).toMatch(/huge entry at Dir1 \(bit 6\): split into two 2\^20-byte halves/);
    expect(mmu.debugTranslate(0x9000_0000_0000_1000n)).toMatchObject({
      path: 'dmw',
      dmw: 0,
      result: { paddr: 0x1000 },
    });
    expect(mmu.debugTranslate(0x10_0000_0000_0000n, Execute)).toMatchObject({
      path: 'address-error',
      result: { fault: { name: 'ADEF' } },
    });
    mmu.crmd = 0x8;
    expect(mmu.debugTranslate(0x10_0000_0000_0000n)).toMatchObject({ path: 'direct', result: { paddr: 0 } });
    expect(mmu.stats).toEqual({ hits: 0, misses: 0, faults: 0 });
  });
});

describe('LA64Mmu: TLB maintenance', () => {
  /** Fills three entries: non-global ASID 1 at 0x4000, non-global ASID 2 at 0x4000, global at 0x8000. */
  function filled() {
    const { ram, mmu } = l0({ ptw: false });
    const a = mmu.tlbfill({ ehi: 0x4000, elo0: 0x4_0013n, elo1: 0x5_0013n, ps: 12, asid: 1 });
    const b = mmu.tlbfill({ ehi: 0x4000, elo0: 0x6_0013n, elo1: 0x7_0013n, ps: 12, asid: 2 });
    const g = mmu.tlbfill({ ehi: 0x8000, elo0: 0x8_0053n, elo1: 0x9_0053n, ps: 12, asid: 3 });
    return { ram, mmu, a, b, g };
  }
  const live = (mmu: LA64Mmu, ...idx: number[]) => idx.map((i) => mmu.tlbrd(i) !== undefined);

  it('INVTLB ops 0..6 invalidate what the manual says; other ops are reserved (false)', () => {
    for (const [op, asid, va, expected] of [
      [0, 0, 0, [false, false, false]],
      [1, 0, 0, [false, false, false]],
      [2, 0, 0, [true, true, false]],
      [3, 0, 0, [false, false, true]],
      [4, 1, 0, [false, true, true]],
      [5, 2, 0x5fff, [true, false, true]],
      [5, 3, 0x8000, [true, true, true]], // op 5 never drops a global entry
      [6, 1, 0x8000, [true, true, false]], // G=1 matches whatever the ASID
      [6, 1, 0x4000, [false, true, true]],
      [6, 9, 0x4000, [true, true, true]],
    ] as const) {
      const { mmu, a, b, g } = filled();
      mmu.asid = 1;
      expect(mmu.translatePa(0x4000, Read)).toBe(0x40000); // cached in the software TLB too
      expect(mmu.invtlb(op, asid, va)).toBe(true);
      expect(live(mmu, a, b, g), `invtlb ${op}, ${asid}, 0x${va.toString(16)}`).toEqual(expected);
      expect(mmu.translatePa(0x4000, Read)).toBe(expected[0] ? 0x40000 : -1);
    }
    const { mmu, a, b, g } = filled();
    expect(mmu.invtlb(7, 0, 0)).toBe(false);
    expect(mmu.invtlb(-1)).toBe(false);
    expect(live(mmu, a, b, g)).toEqual([true, true, true]);
  });

  it("TLBCLR drops the current ASID's non-global entries of one STLB set or the MTLB; TLBFLUSH all of them", () => {
    const { mmu, a, b, g } = filled();
    const h = mmu.tlbfill({ ehi: 0x20_0000, elo0: 0x20_0013n, elo1: 0x30_0013n, ps: 20, asid: 1 });
    expect(h).toBeGreaterThanOrEqual(2048);
    mmu.asid = 1;
    mmu.tlbclr(a % 256); // the set of 0x4000
    expect(live(mmu, a, b, g, h)).toEqual([false, true, true, true]);
    mmu.tlbclr(2048);
    expect(live(mmu, a, b, g, h)).toEqual([false, true, true, false]);
    mmu.tlbflush(b);
    expect(live(mmu, a, b, g, h)).toEqual([false, false, true, false]);
    mmu.tlbflush(g % 256);
    expect(live(mmu, a, b, g, h)).toEqual([false, false, false, false]);
    expect(() => mmu.tlbclr(mmu.tlbSize)).toThrow(RangeError);
  });

  it('TLBWR replaces an entry in place (stale software-TLB pages go with it); NE writes E=0', () => {
    const { mmu, a } = filled();
    mmu.asid = 1;
    expect(mmu.translatePa(0x4000, Read)).toBe(0x40000);
    mmu.tlbwr(a, { ehi: 0x4000, elo0: 0xc_0013n, elo1: 0xd_0013n, ps: 20, asid: 1 }); // an STLB slot keeps STLBPS
    expect(mmu.tlbrd(a)?.ps).toBe(12);
    expect(mmu.translatePa(0x4000, Read)).toBe(0xc_0000);
    mmu.tlbwr(a, { ehi: 0x4000, elo0: 0, elo1: 0, ps: 12, ne: true });
    expect(mmu.tlbrd(a)).toBeUndefined();
    expect(mmu.translatePa(0x4000, Read)).toBe(-1);
    expect(mmu.faultRefill).toBe(true);
    expect(() => mmu.tlbfill({ ehi: 0, elo0: 0, elo1: 0, ps: 11 })).toThrow(RangeError);
    expect(() => mmu.tlbwr(-1, { ehi: 0, elo0: 0, elo1: 0, ps: 12 })).toThrow(RangeError);
  });

  it('TLBFILL evicts round-robin once a set is full, and the evicted translation is gone', () => {
    const { mmu } = l0({ ptw: false, stlbWays: 2, stlbSets: 1, mtlbEntries: 1 });
    const i0 = mmu.tlbfill({ ehi: 0x0000, elo0: 0x1_0013n, elo1: 0x2_0013n, ps: 12 });
    const i1 = mmu.tlbfill({ ehi: 0x2000, elo0: 0x3_0013n, elo1: 0x4_0013n, ps: 12 });
    expect(mmu.translatePa(0x0000, Read)).toBe(0x1_0000);
    const i2 = mmu.tlbfill({ ehi: 0x4000, elo0: 0x5_0013n, elo1: 0x6_0013n, ps: 12 });
    expect([i0, i1, i2]).toEqual([0, 1, 0]);
    expect(mmu.translatePa(0x0000, Read)).toBe(-1);
    expect(mmu.translatePa(0x4000, Read)).toBe(0x5_0000);
  });

  it('pages of any size are cached and invalidated whole: 16 MiB (PS 24), 1 GiB halves (PS 30), 256 GiB halves (PS 38)', () => {
    const { mmu } = l0({ ptw: false });
    mmu.tlbfill({ ehi: 0x100_0000, elo0: 0x4000_0013n, elo1: 0x5000_0013n, ps: 24 });
    mmu.tlbfill({ ehi: 0x1_8000_0000n, elo0: 0x80_0000_0013n, elo1: 0x80_4000_0013n, ps: 30 });
    mmu.tlbfill({ ehi: 0x7f_0000_0000n, elo0: 0x40_0000_0013n, elo1: 0x13n, ps: 38 });
    const probes = [0x1ab_cdef, 0x1_ffff_fff8, 0x12_3456_7000, 0x7f_ffff_f000] as const;
    const expected = [0x5000_0000 + 0xab_cdef, 0x80_4000_0000 + 0x3fff_fff8, 0x52_3456_7000, 0x3f_ffff_f000];
    for (let k = 0; k < 2; k++) expect(probes.map((va) => mmu.translatePa(va, Read))).toEqual(expected);
    expect(mmu.translate(0x1ab_cdef, Read)).toMatchObject({ size: 2 ** 24 }); // a guest's TLBFILL says PS
    expect(mmu.stats).toEqual({ hits: 9, misses: 0, faults: 0 });
    mmu.invtlb(5, 0, 0x100_0000); // any VA of the pair
    mmu.invtlb(5, 0, 0x1_c000_0000n);
    mmu.invtlb(5, 0, 0x7f_ffff_ffffn);
    expect(probes.map((va) => mmu.translatePa(va, Read))).toEqual([-1, -1, -1, -1]);
    expect(mmu.faultRefill).toBe(true);
  });

  it('a huge entry at Dir3 (512 GiB) is split by the walk into PS 38 halves', () => {
    const { ram, mmu } = l0();
    ram.write64(0x10008, 0x80_0000_01d3n); // PGD[1]: huge, PA 512 GiB
    expect(mmu.translate(0xbf_1234_5678n, Write)).toEqual({ paddr: 0xbf_1234_5678, size: 2 ** 39, flags: R | W | X });
    expect(mmu.tlbrd(mmu.tlbsrch(0x80_0000_0000n))).toMatchObject({ ps: 38, elo1: 0xc0_0000_0013n });
    expect(mmu.translatePa(0x80_0000_0000, Read)).toBe(0x80_0000_0000);
    expect(mmu.stats.misses).toBe(1);
  });

  it('a new STLBPS drops the STLB', () => {
    const { mmu } = l0();
    mmu.translatePa(0x4000, Read);
    mmu.translatePa(0x20_0000, Read);
    mmu.stlbps = 14;
    expect(mmu.tlbsrch(0x4000)).toBe(-1);
    expect(mmu.tlbsrch(0x20_0000)).toBeGreaterThanOrEqual(2048);
    expect(mmu.translatePa(0x4000, Read)).toBe(0x40000); // refilled into the MTLB (PS 12 ≠ 14)
    expect(mmu.tlbsrch(0x4000)).toBeGreaterThanOrEqual(2048);
  });

  it('LDDIR marks a huge entry with its level; LDPTE takes PS from the mark', () => {
    const { ram, mmu } = l0({ ptw: false });
    ram.write64(0x11008, 0x4000_11d3n); // Dir2[1]: 1G huge, HGLOBAL
    const va = 0x6000_1234;
    const d2 = mmu.lddir(mmu.lddir(mmu.pgd(va), 3, va), 2, va);
    expect(d2).toBe(0x4000_11d3n); // loaded as is
    const d1 = mmu.lddir(d2, 1, va);
    expect(d1).toBe(0x4000_31d3n); // bits 14:13 = level 1
    expect(mmu.lddir(d1, 1, va)).toBe(d1); // already marked
    expect(mmu.ldpte(d1, 0, va)).toEqual({ elo: 0x4000_01d3n, ps: 29 }); // mark and H cleared, HGLOBAL → G (bit 6)
    expect(mmu.ldpte(d1, 1, va)).toEqual({ elo: 0x6000_01d3n, ps: 29 });
    expect(mmu.ldpte(0x13000, 1, 0x4000)).toEqual({ elo: 0x5_0091n, ps: 12 });
    expect(() => mmu.lddir(0x10000, 0, 0)).toThrow(RangeError);
  });
});

describe('fault records and encodings', () => {
  it('names every code, and encodes / decodes ESTAT', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((c) => la64FaultName(c))).toEqual([
      'PIL',
      'PIS',
      'PIF',
      'PME',
      'PNR',
      'PNX',
      'PPI',
    ]);
    expect([
      la64FaultName(8, 0),
      la64FaultName(8, 1),
      la64FaultName(8, 2),
      la64FaultName(1, 0, true),
      la64FaultName(4, 0, true),
    ]).toEqual(['ADEF', 'ADEM', undefined, 'TLBR', undefined]);
    const adem = la64Fault(8, 1, 0xffff_0000_0000_0000n);
    const estat = estatWithFault(0xffff_ffff, adem);
    expect(estatCode(estat)).toEqual({ ecode: 8, esubcode: 1 });
    expect(estat & 0x1fff).toBe(0x1fff); // interrupt status kept
    expect(faultFromEstat(estat, 0xffff_0000_0000_0000n)).toEqual(adem);
    expect(faultFromEstat(0xd << 16, 0)).toBeUndefined(); // INE is no MMU fault
    expect(() => la64Fault(0xd, 0, 0)).toThrow(RangeError);
    expect(tlbehiVppn(0xffff_8000_1234_5678n)).toBe(0x8000_1234_4000n);
  });
});
