// Every AArch64 vector of the project's MMU notes (MMU.md §4.7) (base table A0, built
// byte for byte in a RamHandler), plus the worked ESR values of §4.5.
import { Access, MappingFlags, PageSize, RamHandler } from '@page-table/core';
import { describe, expect, it } from 'vitest';
import { A64Ec, A64FaultKind, A64Mmu, type A64MmuOptions, decodeEsr } from '../src/index.js';

const { Read, Write, Execute } = Access;

// TCR_EL1 of A0: T0SZ = 16, TG0 = 4K (0), IPS = 0b101; HA = HD = 0, TBI0 = 0.
const TCR_A0 = 16n | (0b101n << 32n);
const HA = 1n << 39n;
const HD = 1n << 40n;
const TBI0 = 1n << 37n;
const EPD0 = 1n << 7n;
const IPS_MASK = 7n << 32n;
const WXN = 1 << 19;
// MAIR attr 4 = Normal write-back.
const MAIR_A0 = 0xffn << 32n;

/** A0 of MMU.md §4.7: TTBR0_EL1 = 0x4000_0000. */
function a0(): RamHandler {
  const ram = new RamHandler({ base: 0x4000_0000, size: 0x10000 });
  const entries: [number, bigint][] = [
    [0x40000000, 0x0000000040001003n], // L0[0] table
    [0x40001000, 0x0000000040002003n], // L1[0] table
    [0x40001008, 0x0000000080000751n], // L1[1] 1G block, AP=01
    [0x40002000, 0x0000000040003003n], // L2[0] table
    [0x40002008, 0x0000000040200711n], // L2[1] 2M block, AP=00
    [0x40003028, 0x0000000040005753n], // L3[5] AP=01
    [0x40003030, 0x00000000400067d3n], // L3[6] AP=11
    [0x40003038, 0x0000000040007713n], // L3[7] AP=00
    [0x40003040, 0x0000000040008353n], // L3[8] AP=01, AF=0
    [0x40003048, 0x0000000040009751n], // L3[9] `01` at L3
    [0x40003050, 0n], // L3[10] invalid
    [0x40003058, 0x000800004000b793n], // L3[11] AP=10 + DBM
  ];
  for (const [pa, v] of entries) ram.write64(pa, v);
  return ram;
}

function mmu(ram: RamHandler, opts: A64MmuOptions = {}): A64Mmu {
  return new A64Mmu(ram, { ttbr0: 0x4000_0000, tcr: TCR_A0, sctlr: 1, mair: MAIR_A0, el: 1, pan: false, ...opts });
}

/** translate at an EL; the PA on success, the ESR on a fault. */
function run(m: A64Mmu, el: 0 | 1, va: number | bigint, access: Access): { pa?: number | bigint; esr?: number } {
  m.el = el;
  const r = m.translate(va, access);
  return r.fault ? { esr: r.fault.esr } : { pa: r.paddr };
}

const ok = (pa: number) => ({ pa });
const esr = (v: number) => ({ esr: v });

describe('MMU.md §4.7 vectors (base A0)', () => {
  it('A1: AP=01 — EL1 load 0x5ABC, EL0 store', () => {
    const m = mmu(a0());
    expect(run(m, 1, 0x5abc, Read)).toEqual(ok(0x4000_5abc));
    expect(run(m, 0, 0x5abc, Write)).toEqual(ok(0x4000_5abc));
  });

  it('A2: implied PXN for an EL0-writable page — EL1 fetch 0x5000 faults, EL0 fetch OK', () => {
    const m = mmu(a0());
    const r = m.translate(0x5000, Execute);
    expect(r.fault?.esr).toBe(0x8600000f);
    expect(r.fault?.far).toBe(0x5000);
    expect(run(m, 0, 0x5000, Execute)).toEqual(ok(0x4000_5000));
  });

  it('A3: AP=11 — EL0 store, EL1 store fault; EL1 fetch OK', () => {
    const m = mmu(a0());
    expect(run(m, 0, 0x6000, Write)).toEqual(esr(0x9200004f));
    expect(run(m, 1, 0x6000, Write)).toEqual(esr(0x9600004f));
    expect(run(m, 1, 0x6000, Execute)).toEqual(ok(0x4000_6000));
  });

  it('A4: AP=00, UXN=0 — EL0 load faults, EL0 fetch OK (execute-only)', () => {
    const m = mmu(a0());
    expect(run(m, 0, 0x7000, Read)).toEqual(esr(0x9200000f));
    expect(run(m, 0, 0x7000, Execute)).toEqual(ok(0x4000_7000));
  });

  it('A5: AF=0 — EL1 load 0x8000 is an Access flag fault, level 3', () => {
    const ram = a0();
    const m = mmu(ram);
    expect(run(m, 1, 0x8000, Read)).toEqual(esr(0x9600000b));
    expect(ram.read64(0x40003040)).toBe(0x0000000040008353n);
  });

  it('A6: TCR.HA=1 — hardware sets AF', () => {
    const ram = a0();
    const m = mmu(ram, { tcr: TCR_A0 | HA });
    expect(run(m, 1, 0x8000, Read)).toEqual(ok(0x4000_8000));
    expect(ram.read64(0x40003040)).toBe(0x0000000040008753n);
  });

  it('A7: reserved `01` at L3, invalid L3', () => {
    const m = mmu(a0());
    expect(run(m, 1, 0x9000, Read)).toEqual(esr(0x96000007));
    expect(run(m, 0, 0xa000, Execute)).toEqual(esr(0x82000007));
  });

  it('A8: L2 block (2M, AP=00)', () => {
    const m = mmu(a0());
    const r = m.translate(0x2abcde, Read);
    expect(r).toEqual({
      paddr: 0x402a_bcde,
      size: PageSize.Size2M,
      flags: MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE,
    });
    expect(run(m, 0, 0x2abcde, Read)).toEqual(esr(0x9200000e));
  });

  it('A9: L1 block (1G, AP=01)', () => {
    const m = mmu(a0());
    m.el = 0;
    const r = m.translate(0x4123_4567, Read);
    expect(r).toEqual({
      paddr: 0x8123_4567,
      size: PageSize.Size1G,
      flags: MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE | MappingFlags.USER,
    });
  });

  it('A10: a `01` descriptor at L0 is a Translation fault, level 0 (manual; QEMU 7.2 maps a 512 GiB block)', () => {
    const ram = a0();
    ram.write64(0x40000008, 0x0000000000000711n);
    const m = mmu(ram);
    expect(run(m, 1, 0x80_0000_1234, Read)).toEqual(esr(0x96000004));
  });

  it('A11: APTable[1] — EL1 store faults, EL1 load OK', () => {
    const ram = a0();
    ram.write64(0x40002000, 0x0000000040003003n | (1n << 62n));
    const m = mmu(ram);
    expect(run(m, 1, 0x5000, Write)).toEqual(esr(0x9600004f));
    expect(run(m, 1, 0x5000, Read)).toEqual(ok(0x4000_5000));
  });

  it('A12: APTable[0] — EL0 load faults', () => {
    const ram = a0();
    ram.write64(0x40002000, 0x0000000040003003n | (1n << 61n));
    const m = mmu(ram);
    expect(run(m, 0, 0x5000, Read)).toEqual(esr(0x9200000f));
  });

  it('A13: UXNTable then PXNTable', () => {
    const ram = a0();
    ram.write64(0x40001000, 0x0000000040002003n | (1n << 60n));
    const m = mmu(ram);
    expect(run(m, 0, 0x5000, Execute)).toEqual(esr(0x8200000f));
    ram.write64(0x40001000, 0x0000000040002003n | (1n << 60n) | (1n << 59n));
    m.tlbiVmalle1();
    expect(run(m, 1, 0x6000, Execute)).toEqual(esr(0x8600000f));
    // Without the table bits both would run.
    const fresh = mmu(a0());
    expect(run(fresh, 0, 0x5000, Execute)).toEqual(ok(0x4000_5000));
    expect(run(fresh, 1, 0x6000, Execute)).toEqual(ok(0x4000_6000));
  });

  it('A14: PAN is data-only', () => {
    const m = mmu(a0(), { pan: true });
    expect(run(m, 1, 0x5000, Read)).toEqual(esr(0x9600000f));
    expect(run(m, 1, 0x7000, Read)).toEqual(ok(0x4000_7000));
    expect(run(m, 1, 0x6000, Execute)).toEqual(ok(0x4000_6000));
  });

  it('A15: SCTLR.WXN', () => {
    const m = mmu(a0(), { sctlr: 1 | WXN });
    expect(run(m, 1, 0x7000, Execute)).toEqual(esr(0x8600000f));
    expect(run(m, 1, 0x6000, Execute)).toEqual(ok(0x4000_6000));
  });

  it('A16: DBM — a Permission fault without HA/HD; with HA=HD=1 the store clears AP[2]', () => {
    const ram = a0();
    expect(run(mmu(ram), 1, 0xb000, Write)).toEqual(esr(0x9600004f));
    expect(ram.read64(0x40003058)).toBe(0x000800004000b793n);
    expect(run(mmu(ram, { tcr: TCR_A0 | HA | HD }), 1, 0xb000, Write)).toEqual(ok(0x4000_b000));
    expect(ram.read64(0x40003058)).toBe(0x000800004000b713n);
  });

  it('A17: IPS=0b000 — output address 4 GiB is an Address size fault, level 3', () => {
    const ram = a0();
    ram.write64(0x40003068, 0x0000000100000753n); // L3[13]
    const m = mmu(ram, { tcr: TCR_A0 & ~IPS_MASK });
    expect(run(m, 1, 0xd000, Read)).toEqual(esr(0x96000003));
  });

  it('A18: IPS=0b000 — next-table address 4 GiB is an Address size fault, level 2', () => {
    const ram = a0();
    ram.write64(0x40002010, 0x0000000100000003n); // L2[2]
    const m = mmu(ram, { tcr: TCR_A0 & ~IPS_MASK });
    expect(run(m, 1, 0x400000, Read)).toEqual(esr(0x96000002));
  });

  it('A19: top bits — a Translation fault, level 0; with TBI0 the top byte is ignored', () => {
    const va = 0x5a00_0000_0000_5abcn;
    expect(run(mmu(a0()), 1, va, Read)).toEqual(esr(0x96000004));
    const m = mmu(a0(), { tcr: TCR_A0 | TBI0 });
    expect(run(m, 1, va, Read)).toEqual(ok(0x4000_5abc));
  });

  it('A20: EPD0 — walks disabled, Translation fault level 0', () => {
    expect(run(mmu(a0(), { tcr: TCR_A0 | EPD0 }), 1, 0x5000, Read)).toEqual(esr(0x96000004));
  });
});

describe('MMU.md §4.5 worked ESR values', () => {
  it('EL1 load Translation L3 = 0x96000007', () => {
    const f = mmu(a0()).translate(0xa000, Read).fault!;
    expect(f).toEqual({
      esr: 0x96000007,
      far: 0xa000,
      ec: A64Ec.DataAbortSameEl,
      fsc: 0x07,
      kind: A64FaultKind.Translation,
      level: 3,
      wnr: false,
      el: 1,
    });
  });

  it('EL0 store Permission L3 = 0x9200004F', () => {
    const m = mmu(a0(), { el: 0 });
    const f = m.translate(0x6008, Write).fault!;
    expect(f).toEqual({
      esr: 0x9200004f,
      far: 0x6008,
      ec: A64Ec.DataAbortLowerEl,
      fsc: 0x0f,
      kind: A64FaultKind.Permission,
      level: 3,
      wnr: true,
      el: 0,
    });
    expect(decodeEsr(f.esr)).toMatchObject({
      ec: 0x24,
      il: true,
      wnr: true,
      fsc: 0x0f,
      fault: { kind: A64FaultKind.Permission, level: 3 },
      isv: false,
    });
  });

  it('EL1 fetch Access flag L3 = 0x8600000B', () => {
    const f = mmu(a0()).translate(0x8000, Execute).fault!;
    expect(f).toMatchObject({
      esr: 0x8600000b,
      ec: A64Ec.InstructionAbortSameEl,
      kind: A64FaultKind.AccessFlag,
      level: 3,
      wnr: false,
    });
  });

  it('EL0 fetch Translation L2 = 0x82000006', () => {
    // L2[3] (VA 0x600000) is empty in A0.
    const f = mmu(a0(), { el: 0 }).translate(0x60_0000, Execute).fault!;
    expect(f).toMatchObject({
      esr: 0x82000006,
      ec: A64Ec.InstructionAbortLowerEl,
      kind: A64FaultKind.Translation,
      level: 2,
    });
  });
});
