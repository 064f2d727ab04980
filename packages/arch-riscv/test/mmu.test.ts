/** RiscvMmu beyond the MMU.md vectors: registers, M-mode/MPRV, access faults, Sv48/Sv57, Svnapot, the TLB, the debug walk. */
import { Access, MappingFlags, RamHandler } from '@page-table/core';
import { describe, expect, it } from 'vitest';
import {
  accessFaultCause,
  causeName,
  decodeCause,
  encodeCause,
  faultAccess,
  formatFault,
  isAccessFault,
  isPageFault,
  pageFaultCause,
  RiscvCause,
  RiscvMmu,
  ramOnly,
  SatpMode,
  satp,
} from '../src/index.js';
import { check, firstDiff, R0_SATP, r0, snapshot } from './mmu-helpers.js';

const { Read, Write, Execute } = Access;
const SUM = 1 << 18;
const MXR = 1 << 19;
const MPRV = 1 << 17;
const MPP_S = 1 << 11;
const MPP_U = 0;
const MPP_M = 3 << 11;

describe('fault codes', () => {
  it('maps accesses to causes and back', () => {
    expect([Read, Write, Execute].map(pageFaultCause)).toEqual([13, 15, 12]);
    expect([Read, Write, Execute].map(accessFaultCause)).toEqual([5, 7, 1]);
    expect([1, 5, 7, 12, 13, 15, 2].map(faultAccess)).toEqual([Execute, Read, Write, Execute, Read, Write, undefined]);
    expect([12, 13, 15, 1].map(isPageFault)).toEqual([true, true, true, false]);
    expect([1, 5, 7, 13].map(isAccessFault)).toEqual([true, true, true, false]);
    expect(RiscvCause.StorePageFault).toBe(15);
  });

  it('names, encodes and formats', () => {
    expect(causeName(13)).toBe('load page fault');
    expect(causeName(7)).toBe('store/AMO access fault');
    expect(causeName(3)).toBe('exception 3');
    expect(encodeCause({ cause: 12, tval: 0 as never })).toBe(12);
    expect(decodeCause(13)).toEqual({ interrupt: false, code: 13 });
    expect(decodeCause((1n << 63n) | 5n)).toEqual({ interrupt: true, code: 5 });
    expect(formatFault({ cause: 15, tval: 0xa000 as never })).toBe('store/AMO page fault (cause 15), stval 0xa000');
  });
});

describe('registers', () => {
  it('resets to M-mode with satp Bare: PA = VA', () => {
    const ram = new RamHandler({ size: 0x1_0000 });
    const mmu = new RiscvMmu(ram);
    expect(mmu.priv).toBe(3);
    expect(mmu.mode).toBe(SatpMode.Bare);
    expect(mmu.satp).toBe(0n);
    expect(mmu.mstatus).toBe(0n);
    expect(mmu.hardwareAd).toBe(false);
    expect(mmu.translate(0x1234, Write)).toEqual({ paddr: 0x1234, size: 0x1000, flags: 7 });
    expect(mmu.translatePa(0x1_2345_6789, Execute)).toBe(0x1_2345_6789);
    expect(mmu.lastFlags).toBe(7);
    expect(mmu.lastSize).toBe(0x1000);
    // A PA that no number can hold is outside physical memory.
    expect(mmu.translatePaHalves(0x20_0000, 0, Read)).toBe(-1);
    expect(mmu.faultCause).toBe(5);
    expect(mmu.stats).toEqual({ hits: 0, misses: 0, faults: 1 });
  });

  it('ignores a satp write with an unimplemented MODE (WARL), and honours maxMode', () => {
    const { mmu } = r0();
    mmu.satp = 11n << 60n; // Sv64: not implemented
    expect(mmu.satp).toBe(R0_SATP);
    mmu.satp = (1n << 60n) | 5n;
    expect(mmu.satp).toBe(R0_SATP);
    const sv39only = r0({ maxMode: 'Sv39' }).mmu;
    sv39only.satp = 9n << 60n;
    expect(sv39only.mode).toBe(8);
    expect(() => {
      mmu.satp = -1;
    }).toThrow(RangeError);
    expect(() => new RiscvMmu(new RamHandler({ size: 0x1000 }), { satp: 10n << 60n, maxMode: 'Sv48' })).toThrow(
      RangeError,
    );
    expect(() => new RiscvMmu(new RamHandler({ size: 0x1000 }), { satp: -1 })).toThrow(RangeError);
  });

  it('legalizes the ASID to asidBits and reads satp back', () => {
    const { mmu } = r0({ asidBits: 4 });
    mmu.satp = R0_SATP | (0x1235n << 44n);
    expect(mmu.asid).toBe(5);
    expect(mmu.satp).toBe(R0_SATP | (5n << 44n));
    expect(() => r0({ asidBits: 17 })).toThrow(RangeError);
  });

  it('keeps MPP on the reserved value 2, and sstatus only touches the mstatus bits it shows', () => {
    const { mmu } = r0({ mstatus: MPRV | MPP_S });
    mmu.mstatus = MPRV | (2 << 11);
    expect(mmu.mstatus).toBe(BigInt(MPRV | MPP_S));
    mmu.sstatus = SUM | MXR | MPRV | MPP_M;
    expect(mmu.mstatus).toBe(BigInt(MPRV | MPP_S | SUM | MXR));
    expect(mmu.sstatus).toBe(BigInt(SUM | MXR));
    mmu.sstatus = 0;
    expect(mmu.mstatus).toBe(BigInt(MPRV | MPP_S));
    mmu.sstatus = (1n << 63n) | (1n << 8n); // SD, SPP
    expect(mmu.sstatus).toBe((1n << 63n) | (1n << 8n));
    expect(mmu.mstatus).toBe((1n << 63n) | BigInt(MPRV | MPP_S | (1 << 8)));
  });

  it('accepts only privileges 0, 1 and 3', () => {
    const { mmu } = r0();
    expect(() => {
      mmu.priv = 2 as never;
    }).toThrow(RangeError);
    mmu.priv = 0;
    expect(mmu.priv).toBe(0);
  });

  it('menvcfg selects ADUE and PBMTE', () => {
    const { ram, mmu } = r0({ svadu: false });
    check(mmu, 0x9000, Read, { cause: 13 });
    expect(mmu.menvcfg).toBe(0n);
    mmu.menvcfg = 1n << 61n;
    expect(mmu.hardwareAd).toBe(true);
    expect(mmu.menvcfg).toBe(1n << 61n);
    check(mmu, 0x9000, Read, { pa: 0x8000_9000 });
    ram.write64(0x8000_2028, 0x2000_14c7n | (1n << 61n));
    mmu.sfenceVma();
    check(mmu, 0x5000, Read, { cause: 13 });
    mmu.menvcfg = (1n << 61n) | (1n << 62n);
    check(mmu, 0x5000, Read, { pa: 0x8000_5000 });
    expect(mmu.translate(0x5000, Read)).toMatchObject({ flags: 3 | MappingFlags.UNCACHED });
    mmu.menvcfg = 0;
    check(mmu, 0x5000, Read, { cause: 13 });
  });
});

describe('privilege', () => {
  it('M-mode is untranslated; MPRV makes loads and stores (not fetches) use MPP', () => {
    const { mmu } = r0({ priv: 3 });
    check(mmu, 0x5123, Read, { pa: 0x5123 });
    mmu.mstatus = MPRV | MPP_S;
    check(mmu, 0x5123, Read, { pa: 0x8000_5123 });
    check(mmu, 0x5123, Write, { pa: 0x8000_5123 });
    check(mmu, 0x5123, Execute, { pa: 0x5123 });
    expect(mmu.debugTranslate(0x5123, Read).priv).toBe(1);
    mmu.mstatus = MPRV | MPP_U;
    check(mmu, 0x5123, Read, { cause: 13 });
    check(mmu, 0x6000, Read, { pa: 0x8000_6000 });
    mmu.mstatus = MPRV | MPP_M;
    check(mmu, 0x5123, Read, { pa: 0x5123 });
    // MPRV only acts in M-mode.
    mmu.mstatus = MPRV | MPP_U;
    mmu.priv = 1;
    check(mmu, 0x5123, Read, { pa: 0x8000_5123 });
  });

  it('reports effective permissions for the current privilege', () => {
    const { mmu } = r0({ mstatus: SUM });
    expect(mmu.translate(0x6000, Read)).toEqual({
      paddr: 0x8000_6000,
      size: 0x1000,
      flags: MappingFlags.READ | MappingFlags.WRITE | MappingFlags.USER,
    });
    mmu.priv = 0;
    expect(mmu.translate(0x6000, Read)).toMatchObject({ flags: 0xf });
    mmu.priv = 1;
    mmu.mstatus = MXR;
    expect(mmu.translate(0x8000, Execute)).toMatchObject({ flags: MappingFlags.READ | MappingFlags.EXECUTE });
    expect(mmu.translatePa(0x8000, Read)).toBe(0x8000_8000);
    expect(mmu.lastFlags).toBe(MappingFlags.READ | MappingFlags.EXECUTE);
    expect(mmu.lastSize).toBe(0x1000);
  });
});

describe('access faults and physical limits', () => {
  it('a page-table entry outside physical memory is an access fault of the access type', () => {
    const { ram, mmu } = r0();
    ram.write64(0x8000_0018, 0x4000_0001n); // root[3] -> table at 0x1_0000_0000, not RAM
    check(mmu, 0xc000_0000, Read, { cause: 5 });
    check(mmu, 0xc000_0000, Write, { cause: 7 });
    check(mmu, 0xc000_0000, Execute, { cause: 1 });
    expect(mmu.debugTranslate(0xc000_0000).stop).toMatch(/outside physical memory at level 1/);
  });

  it('PMP on the A/D write is an access fault and leaves the entry alone', () => {
    const calls: string[] = [];
    const pmp = (pa: number, access: Access, priv: number) => {
      calls.push(`${pa.toString(16)}:${access}:${priv}`);
      return !(access === Write && pa === 0x8000_2048);
    };
    const { ram, mmu } = r0({ pmp });
    check(mmu, 0x9000, Read, { cause: 5 });
    expect(ram.read64(0x8000_2048)).toBe(0x2000_2407n);
    calls.length = 0;
    mmu.translatePa(0x5000, Read);
    expect(calls).toEqual(['80000000:0:1', '80001000:0:1', '80002028:0:1', '80005000:0:1']);
  });

  it('PMP on the final PA: an access fault, also on TLB hits', () => {
    let allow = true;
    const { mmu } = r0({ pmp: (pa) => allow || pa < 0x8000_5000 || pa >= 0x8000_6000 });
    check(mmu, 0x5000, Write, { pa: 0x8000_5000 });
    allow = false;
    check(mmu, 0x5000, Write, { cause: 7 });
    expect(mmu.stats.hits).toBeGreaterThan(0);
  });

  it('ramOnly() makes PAs outside RAM access faults', () => {
    const { ram, mmu } = r0({ pmp: undefined });
    const strict = new RiscvMmu(ram, { satp: R0_SATP, priv: 1, svadu: true, pmp: ramOnly(ram) });
    check(mmu, 0x8000_1234, Read, { pa: 0xc000_1234 });
    check(strict, 0x8000_1234, Read, { cause: 5 });
    check(strict, 0x5123, Read, { pa: 0x8000_5123 });
  });

  it('a leaf PA at or above 2^53 is an access fault', () => {
    const { ram, mmu } = r0();
    ram.write64(0x8000_2060, (0x200_0000_0000n << 10n) | 0xc7n); // L0[12] -> frame 2^41
    check(mmu, 0xc000, Read, { cause: 5 });
  });
});

describe('reserved encodings', () => {
  it.each([
    ['W+X without R', 0x2000_14cdn, 13],
    ['RSW bits are ignored', 0x2000_17c7n, 0x8000_5000],
    ['G on a leaf is fine', 0x2000_14e7n, 0x8000_5000],
  ])('%s', (_name, entry, expected) => {
    const { ram, mmu } = r0();
    ram.write64(0x8000_2028, entry);
    check(mmu, 0x5000, Read, expected > 0x1000 ? { pa: expected } : { cause: expected });
  });

  it('PBMT on a non-leaf entry is reserved even with Svpbmt', () => {
    const { ram, mmu } = r0({ svpbmt: true });
    ram.write64(0x8000_1000, 0x2000_0801n | (1n << 61n));
    check(mmu, 0x5000, Read, { cause: 13 });
  });
});

describe('Svnapot', () => {
  it('maps a 64 KiB NAPOT leaf at level 0', () => {
    const { ram, mmu } = r0({ svnapot: true });
    // L0[16..31] cover VA 0x10000..0x1ffff; one NAPOT entry for PA 0x8009_0000 (ppn 0x80098 = ...1000).
    const napot = (1n << 63n) | (0x8_0098n << 10n) | 0xc7n;
    for (let i = 16; i < 32; i++) ram.write64(0x8000_2000 + i * 8, napot);
    check(mmu, 0x1_0000, Read, { pa: 0x8009_0000 });
    check(mmu, 0x1_5abc, Write, { pa: 0x8009_5abc });
    check(mmu, 0x1_f000, Execute, { cause: 12 });
    expect(mmu.translate(0x1_2000, Read)).toEqual({ paddr: 0x8009_2000, size: 0x1_0000, flags: 3 });
    expect(mmu.translatePa(0x1_3000, Read)).toBe(0x8009_3000);
    expect(mmu.lastSize).toBe(0x1_0000);
  });

  it.each([
    ['ppn[3:0] = 0000', (0x8_0090n << 10n) | 0xc7n],
    ['ppn[3:0] = 0100', (0x8_0094n << 10n) | 0xc7n],
    ['ppn[3:0] = 1001', (0x8_0099n << 10n) | 0xc7n],
  ])('faults on the reserved encoding %s', (_name, low) => {
    const { ram, mmu } = r0({ svnapot: true });
    ram.write64(0x8000_2080, (1n << 63n) | low);
    check(mmu, 0x1_0000, Read, { cause: 13 });
    expect(mmu.debugTranslate(0x1_0000).stop).toMatch(/reserved NAPOT encoding/);
  });

  it('faults on N above level 0 and on non-leaf entries', () => {
    const { ram, mmu } = r0({ svnapot: true });
    ram.write64(0x8000_1008, 0x2008_00c7n | (1n << 63n));
    check(mmu, 0x20_0000, Read, { cause: 13 });
    ram.write64(0x8000_1000, 0x2000_0801n | (1n << 63n));
    check(mmu, 0x5000, Read, { cause: 13 });
  });
});

describe('Sv48 and Sv57', () => {
  it('walks five levels in Sv57 and checks bits 63..57', () => {
    const ram = new RamHandler({ base: 0x8000_0000, size: 0x10_0000 });
    // Sv57 root 0x8000_8000 -> L3 0x8000_9000 -> L2 0x8000_a000 -> L1 0x8000_b000 -> 2M leaf at PA 0x4000_0000.
    ram.write64(0x8000_8000 + 0x1ff * 8, (0x8_0009n << 10n) | 1n); // vpn[4] = 0x1ff: the upper half
    ram.write64(0x8000_9000 + 0x1ff * 8, (0x8_000an << 10n) | 1n);
    ram.write64(0x8000_a000 + 0x1ff * 8, (0x8_000bn << 10n) | 1n);
    ram.write64(0x8000_b000 + 0x1ff * 8, (0x4_0000n << 10n) | 0xcfn); // level-1 leaf RWX AD: 2M at PA 0x4000_0000
    const mmu = new RiscvMmu(ram, { satp: satp(SatpMode.Sv57, 3, 0x8000_8000), priv: 1 });
    const va = 0xffff_ffff_ffe0_0123n; // every vpn = 0x1ff at levels 4..1
    check(mmu, va, Read, { pa: 0x4000_0123 });
    expect(mmu.translate(va, Read)).toMatchObject({ size: 0x20_0000 });
    expect(mmu.debugTranslate(va).steps.map((s) => s.level)).toEqual([4, 3, 2, 1]);
    check(mmu, 0xff00_0000_0000_0000n, Read, { cause: 13 }); // bits 63..57 != bit 56
    check(mmu, -0x20_0000 + 0x123, Read, { pa: 0x4000_0123 }); // negative numbers are sign-extended VAs
    expect(mmu.translatePaHalves(0xffff_ffff, 0xffe0_0456, Write)).toBe(0x4000_0456);
  });

  it('translates a 512 GiB leaf in Sv48 and flushes it on sfence.vma of any of its VAs', () => {
    const ram = new RamHandler({ base: 0x8000_0000, size: 0x10_0000 });
    ram.write64(0x8000_0000 + 8, (0x800_0000n << 10n) | 0xc7n); // root[1]: 512G leaf at PA 2^39
    const mmu = new RiscvMmu(ram, { satp: satp(SatpMode.Sv48, 0, 0x8000_0000), priv: 1 });
    const va = 0x80_0000_0000 + 0x12_3456_7000;
    check(mmu, va, Read, { pa: 2 ** 39 + 0x12_3456_7000 });
    expect(mmu.translate(va, Read)).toMatchObject({ size: 2 ** 39 });
    ram.write64(0x8000_0008, (0x1000_0000n << 10n) | 0xc7n); // now PA 2^40
    expect(mmu.translatePa(va, Read)).toBe(2 ** 39 + 0x12_3456_7000); // stale until fenced
    mmu.sfenceVma(0x80_0000_0000 + 0x7f_0000_0000); // another VA of the same leaf, another high word
    expect(mmu.translatePa(va, Read)).toBe(2 ** 40 + 0x12_3456_7000);
  });
});

describe('software TLB', () => {
  it('counts hits and misses, and serves a stale entry until sfence.vma', () => {
    const { ram, mmu } = r0();
    expect(mmu.translatePa(0x5123, Read)).toBe(0x8000_5123);
    expect(mmu.translatePa(0x5456, Write)).toBe(0x8000_5456);
    expect(mmu.stats).toEqual({ hits: 1, misses: 1, faults: 0 });
    ram.write64(0x8000_2028, 0x2000_34c7n); // L0[5] -> 0x8000_d000
    expect(mmu.translatePa(0x5000, Read)).toBe(0x8000_5000);
    mmu.sfenceVma(0x5fff);
    expect(mmu.translatePa(0x5000, Read)).toBe(0x8000_d000);
    ram.write64(0x8000_2028, 0n);
    expect(mmu.translatePa(0x5000, Read)).toBe(0x8000_d000);
    mmu.sfenceVma(0x5000, 0);
    expect(mmu.translatePa(0x5000, Read)).toBe(-1);
    expect(mmu.stats.faults).toBe(1);
  });

  it('re-checks privilege, SUM and MXR on every hit', () => {
    const { mmu } = r0({ mstatus: SUM });
    expect(mmu.translatePa(0x6000, Read)).toBe(0x8000_6000);
    mmu.mstatus = 0;
    expect(mmu.translatePa(0x6000, Read)).toBe(-1);
    mmu.priv = 0;
    expect(mmu.translatePa(0x6000, Read)).toBe(0x8000_6000);
    expect(mmu.translatePa(0x5000, Read)).toBe(-1);
    mmu.priv = 1;
    mmu.mstatus = MXR;
    expect(mmu.translatePa(0x8000, Execute)).toBe(0x8000_8000);
    mmu.mstatus = 0;
    expect(mmu.translatePa(0x8000, Read)).toBe(-1);
    mmu.mstatus = MXR;
    expect(mmu.translatePa(0x8000, Read)).toBe(0x8000_8000);
    expect(mmu.stats.hits).toBe(2); // the refused hits re-walked (and count as misses)
  });

  it('never serves a store from an entry cached with D=0: hardware A/D sets D, Svade faults', () => {
    const hw = r0();
    expect(hw.mmu.translatePa(0xa000, Read)).toBe(0x8000_a000);
    expect(hw.ram.read64(0x8000_2050)).toBe(0x2000_2847n);
    expect(hw.mmu.translatePa(0xa000, Write)).toBe(0x8000_a000);
    expect(hw.ram.read64(0x8000_2050)).toBe(0x2000_28c7n);
    expect(hw.mmu.stats).toEqual({ hits: 0, misses: 2, faults: 0 });
    expect(hw.mmu.translatePa(0xa000, Write)).toBe(0x8000_a000);
    expect(hw.mmu.stats.hits).toBe(1);
    const sv = r0({ svadu: false });
    expect(sv.mmu.translatePa(0xa000, Read)).toBe(0x8000_a000);
    expect(sv.mmu.translatePa(0xa000, Write)).toBe(-1);
    expect(sv.mmu.faultCause).toBe(15);
  });

  it('re-walks when a cached entry refuses the access (a permission upgrade needs no fence)', () => {
    const { ram, mmu } = r0();
    ram.write64(0x8000_2028, 0x2000_1443n);
    expect(mmu.translatePa(0x5000, Read)).toBe(0x8000_5000);
    ram.write64(0x8000_2028, 0x2000_14c7n);
    expect(mmu.translatePa(0x5000, Write)).toBe(0x8000_5000);
  });

  it('tags entries with the ASID; G (also on a pointer) makes them global', () => {
    const { ram, mmu } = r0();
    const asid = (n: bigint) => R0_SATP | (n << 44n);
    mmu.satp = asid(1n);
    expect(mmu.translatePa(0x5000, Read)).toBe(0x8000_5000);
    ram.write64(0x8000_2028, 0x2000_34c7n);
    expect(mmu.translatePa(0x5000, Read)).toBe(0x8000_5000); // ASID 1: stale
    mmu.sfenceVma(undefined, 2);
    mmu.sfenceVma(0x5000, 2);
    expect(mmu.translatePa(0x5000, Read)).toBe(0x8000_5000); // fences of ASID 2 leave ASID 1 alone
    mmu.satp = asid(2n);
    expect(mmu.translatePa(0x5000, Read)).toBe(0x8000_d000); // ASID 2: its own walk
    ram.write64(0x8000_2028, 0x2000_14c7n);
    mmu.satp = asid(1n);
    mmu.sfenceVma(undefined, 1);
    expect(mmu.translatePa(0x5000, Read)).toBe(0x8000_5000);

    // G on root[0] makes everything below global.
    ram.write64(0x8000_0000, 0x2000_0421n);
    mmu.sfenceVma();
    expect(mmu.translatePa(0x6000, Execute)).toBe(-1); // S fetch of a U page
    expect(mmu.translatePa(0x9000, Read)).toBe(0x8000_9000);
    ram.write64(0x8000_2048, 0x2000_3447n); // -> 0x8000_d000
    mmu.satp = asid(7n);
    expect(mmu.translatePa(0x9000, Read)).toBe(0x8000_9000); // the global entry serves every ASID
    mmu.sfenceVma(undefined, 7); // (x0, asid) keeps global entries
    expect(mmu.translatePa(0x9000, Read)).toBe(0x8000_9000);
    mmu.sfenceVma(0x9000, 7); // (va, asid) keeps global entries
    expect(mmu.translatePa(0x9000, Read)).toBe(0x8000_9000);
    mmu.sfenceVma(0x9000); // (va, x0) drops them
    expect(mmu.translatePa(0x9000, Read)).toBe(0x8000_d000);
  });

  it('sfence.vma (va, x0) drops the VA in every ASID; (va, asid) only that one; (x0, x0) all', () => {
    const { ram, mmu } = r0();
    const asid = (n: bigint) => R0_SATP | (n << 44n);
    mmu.satp = asid(1n);
    mmu.translatePa(0x5000, Read);
    mmu.translatePa(0x2a_0000, Read);
    ram.write64(0x8000_2028, 0x2000_34c7n);
    ram.write64(0x8000_1008, 0x2010_00c7n); // 2M leaf -> 0x8040_0000
    mmu.satp = asid(2n);
    mmu.sfenceVma(0x5000, 2); // not ASID 1's entry
    mmu.satp = asid(1n);
    expect(mmu.translatePa(0x5000, Read)).toBe(0x8000_5000);
    mmu.satp = asid(2n);
    mmu.sfenceVma(0x5000); // rs2 = x0: every ASID
    mmu.satp = asid(1n);
    expect(mmu.translatePa(0x5000, Read)).toBe(0x8000_d000);
    // A VA anywhere in the 2M leaf drops its cached pages.
    expect(mmu.translatePa(0x2a_0000, Read)).toBe(0x802a_0000);
    mmu.sfenceVma(0x3f_f000, 1);
    expect(mmu.translatePa(0x2a_0000, Read)).toBe(0x804a_0000);
    ram.write64(0x8000_2028, 0x2000_14c7n);
    mmu.sfenceVma();
    expect(mmu.translatePa(0x5000, Read)).toBe(0x8000_5000);
  });

  it('sfence.vma with a VA that is not canonical does nothing', () => {
    const { ram, mmu } = r0();
    mmu.translatePa(0x5000, Read);
    ram.write64(0x8000_2028, 0x2000_34c7n);
    mmu.sfenceVma(0x40_0000_5000);
    expect(mmu.translatePa(0x5000, Read)).toBe(0x8000_5000);
  });
});

describe('debugTranslate', () => {
  it('reports every entry, the A/D write it skipped, and changes nothing', () => {
    const { ram, mmu } = r0();
    mmu.translatePa(0x40_0000_0000, Read); // a fault to keep in the fields
    const before = snapshot(ram);
    const stats = { ...mmu.stats };
    const d = mmu.debugTranslate(0xa010, Write);
    expect(d).toEqual({
      va: 0xa010,
      steps: [
        { level: 2, index: 0, entryPaddr: 0x8000_0000, entry: 0x2000_0401n },
        { level: 1, index: 0, entryPaddr: 0x8000_1000, entry: 0x2000_0801n },
        { level: 0, index: 10, entryPaddr: 0x8000_2050, entry: 0x2000_2847n },
      ],
      result: { paddr: 0x8000_a010, size: 0x1000, flags: 3 },
      mode: 'Sv39',
      priv: 1,
      adUpdate: { entryPaddr: 0x8000_2050, before: 0x2000_2847n, after: 0x2000_28c7n },
      permissions: 3,
      leafSize: 0x1000,
    });
    expect(firstDiff(snapshot(ram), before)).toBe(-1);
    expect(mmu.stats).toEqual(stats);
    expect(mmu.faultCause).toBe(13);
    expect(mmu.faultTval).toBe(0x40_0000_0000);
    // The TLB was not filled: the next access misses.
    mmu.translatePa(0xa010, Read);
    expect(mmu.stats.misses).toBe(stats.misses + 1);
  });

  it('reports the permissions of the leaf it reached also when the access faults', () => {
    const { mmu } = r0();
    // A store to an execute-only page: the leaf's rights are those a fetch there gets.
    const ro = mmu.debugTranslate(0x8000, Write);
    expect(ro.result).toEqual({ fault: { cause: 15, tval: 0x8000 } });
    expect(ro.permissions).toBe(MappingFlags.EXECUTE);
    const load = mmu.translate(0x8000, Execute);
    expect(load).toMatchObject({ size: 0x1000 });
    expect(ro.permissions).toBe('flags' in load ? load.flags : -1);
    expect(ro.leafSize).toBe(0x1000);
    // A U=1 page at S-mode with SUM=0: no access allowed, USER shown.
    expect(mmu.debugTranslate(0x6000)).toMatchObject({ permissions: MappingFlags.USER, leafSize: 0x1000 });
    // With SUM=1 the same walk reports the data rights.
    mmu.sstatus = SUM;
    const sum = mmu.debugTranslate(0x6000, Execute);
    expect(sum.result).toMatchObject({ fault: { cause: 12 } });
    expect(sum.permissions! & (MappingFlags.READ | MappingFlags.EXECUTE | MappingFlags.USER)).toBe(
      MappingFlags.READ | MappingFlags.USER,
    );
    // Svade: A=0 faults after the leaf was reached.
    const sv = r0({ svadu: false }).mmu;
    const a0 = sv.debugTranslate(0x9000);
    expect(a0.result).toEqual({ fault: { cause: 13, tval: 0x9000 } });
    expect(a0.permissions).toBeDefined();
    expect(a0.leafSize).toBe(0x1000);
    // No leaf reached: nothing reported.
    const v0 = mmu.debugTranslate(0x1_0000);
    expect(v0.permissions).toBeUndefined();
    expect(v0.leafSize).toBeUndefined();
    expect(mmu.debugTranslate(0x40_0000_0000).permissions).toBeUndefined();
  });

  it('says where and why a walk stops', () => {
    const { mmu } = r0();
    expect(mmu.debugTranslate(0x7000).stop).toBe('W=1 without R (reserved encoding) at level 0 (entry 0x80002038)');
    expect(mmu.debugTranslate(0x6000).stop).toBe('U=1 page at S-mode with SUM=0 at level 0 (entry 0x80002030)');
    expect(mmu.debugTranslate(0x1_0000).stop).toBe('V=0 at level 0 (entry 0x80002080)');
    expect(mmu.debugTranslate(0x8000, Write).stop).toBe('store needs W at level 0 (entry 0x80002040)');
    expect(mmu.debugTranslate(0x40_0000_0000).stop).toBe('VA not canonical for Sv39 (bits 63..39 must equal bit 38)');
    expect(mmu.debugTranslate(0x8000_0000_0000_0000n).result).toEqual({
      fault: { cause: 13, tval: 0x8000_0000_0000_0000n },
    });
    const sv = r0({ svadu: false }).mmu;
    expect(sv.debugTranslate(0x9000).stop).toBe('A=0 (Svade) at level 0 (entry 0x80002048)');
    expect(sv.debugTranslate(0xa000, Write).stop).toBe('D=0 on a store (Svade) at level 0 (entry 0x80002050)');
    const m = r0({ priv: 3 }).mmu;
    expect(m.debugTranslate(0x1234)).toEqual({
      va: 0x1234,
      steps: [],
      result: { paddr: 0x1234, size: 0x1000, flags: 7 },
      mode: 'Bare',
      priv: 3,
    });
  });
});

describe('memory backends and atomic A/D', () => {
  it('updates A/D by 64-bit compare-and-swap on a SharedArrayBuffer', () => {
    const buffer = new SharedArrayBuffer(0x10_0000);
    const { ram: plain } = r0();
    new Uint8Array(buffer).set(plain.bytes);
    const ram = new RamHandler({ base: 0x8000_0000, buffer });
    const mmu = new RiscvMmu(ram, { satp: R0_SATP, priv: 1, svadu: true });
    expect(mmu.translatePa(0xa000, Write)).toBe(0x8000_a000);
    expect(ram.read64(0x8000_2050)).toBe(0x2000_28c7n);
    expect(mmu.translatePa(0x9000, Read)).toBe(0x8000_9000);
    expect(ram.read64(0x8000_2048)).toBe(0x2000_2447n);
  });

  it.each([
    ['ArrayBuffer', () => new ArrayBuffer(0x10_0000)],
    ['SharedArrayBuffer', () => new SharedArrayBuffer(0x10_0000)],
  ])('walks again when the entry changed before the A/D update (%s)', (_name, make) => {
    const buffer = make();
    const ram = new RamHandler({ base: 0x8000_0000, buffer });
    const { ram: plain } = r0();
    new Uint8Array(buffer).set(plain.bytes);
    let raced = false;
    // The PMP check of the A/D write runs just before the compare-and-swap: change the entry there.
    const pmp = (pa: number, access: Access) => {
      if (access === Write && pa === 0x8000_2050 && !raced) {
        raced = true;
        ram.write64(0x8000_2050, 0x2000_2843n); // W gone
      }
      return true;
    };
    const mmu = new RiscvMmu(ram, { satp: R0_SATP, priv: 1, svadu: true, pmp });
    expect(mmu.translatePa(0xa000, Write)).toBe(-1);
    expect(mmu.faultCause).toBe(15);
    expect(ram.read64(0x8000_2050)).toBe(0x2000_2843n);
  });

  it('reads tables in a WebAssembly.Memory', () => {
    const memory = new WebAssembly.Memory({ initial: 16 }); // 1 MiB
    const ram = new RamHandler({ base: 0x8000_0000, buffer: memory });
    const { ram: plain } = r0();
    ram.bytes.set(plain.bytes);
    const mmu = new RiscvMmu(ram, { satp: R0_SATP, priv: 1, svadu: true });
    check(mmu, 0x2a_bcde, Read, { pa: 0x802a_bcde });
    check(mmu, 0x9000, Read, { pa: 0x8000_9000 });
    expect(ram.read64(0x8000_2048)).toBe(0x2000_2447n);
  });
});
