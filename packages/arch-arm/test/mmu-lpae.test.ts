/**
 * ArmV7Mmu with long descriptors (TTBCR.EAE = 1): vectors from the Arm ARM's
 * descriptor layouts (B3.6.1), the TTBR0/TTBR1 selection and start levels
 * (B3.6.4) and the long-descriptor FSR encodings (Arm ARM B3.13, long-descriptor FSR encodings), with the
 * descriptors written out by hand.
 */
import { Access, MappingFlags, type RamHandler } from '@page-table/core';
import { describe, expect, it } from 'vitest';
import { ArmV7Mmu, type ArmV7MmuOptions, TTBCR_EAE } from '../src/index.js';
import { newRam, w64 } from './helpers.js';

const EAE = TTBCR_EAE >>> 0;

/**
 * T0SZ = 0: level 1 at 0x1000 (4 entries). [0] → level 2 at 0x2000, [1] 1 GiB block PA 0x80_4000_0000.
 * Level 2: [0] → level 3 at 0x3000, [1] 2 MiB block PA 0x0120_0000 AP[2:1] = 01.
 * Level 3: [5] page PA 0x12_3456_7000, [6] invalid, [7] AF = 0, [8] AP[2] = 1, [9] PA bit 40 set,
 * [10] XN, [11] type 01 (reserved), [12] PL0 RW page with nG.
 */
function scene(options: ArmV7MmuOptions = {}): { ram: RamHandler; mmu: ArmV7Mmu } {
  const ram = newRam();
  w64(ram, 0x1000, 0, 0x2003);
  w64(ram, 0x1008, 0x80, 0x4000_0405);
  w64(ram, 0x2000, 0, 0x3003);
  w64(ram, 0x2008, 0, 0x0120_0445);
  w64(ram, 0x3000 + 5 * 8, 0x12, 0x3456_7407);
  w64(ram, 0x3000 + 7 * 8, 0, 0x0000_7007);
  w64(ram, 0x3000 + 8 * 8, 0, 0x0000_8487);
  w64(ram, 0x3000 + 9 * 8, 0x100, 0x0000_9407);
  w64(ram, 0x3000 + 10 * 8, 1 << 22, 0x0000_a407);
  w64(ram, 0x3000 + 11 * 8, 0, 0x0000_b405);
  w64(ram, 0x3000 + 12 * 8, 0, 0x0000_cc47);
  const mmu = new ArmV7Mmu(ram, { sctlr: 1, ttbcr: EAE, ttbr0: (3n << 48n) | 0x1000n, pl: 1, ...options });
  return { ram, mmu };
}

describe('ArmV7Mmu LPAE: translation', () => {
  it('pages, 2 MiB and 1 GiB blocks, 40-bit output addresses', () => {
    const { mmu } = scene();
    expect(mmu.translatePa(0x5abc, Access.Read)).toBe(0x12_3456_7abc);
    expect(mmu.lastSize).toBe(0x1000);
    expect(mmu.translatePa(0x0021_2345, Access.Write)).toBe(0x0121_2345);
    expect(mmu.lastSize).toBe(0x20_0000);
    expect(mmu.translatePa(0x7fff_fffc, Access.Read)).toBe(0x80_7fff_fffc);
    expect(mmu.lastSize).toBe(0x4000_0000);
    expect(mmu.info.tables).toEqual(['level 3', 'level 2', 'level 1']);
  });

  it('AP[2:1]: PL0 needs AP[1]; AP[2] makes the page read-only', () => {
    const { mmu } = scene({ pl: 0 });
    expect(mmu.translatePa(0x0020_0000, Access.Write)).toBe(0x0120_0000);
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(-1);
    expect(mmu.dfsr).toBe(0x20f);
    mmu.pl = 1;
    expect(mmu.translatePa(0x8000, Access.Read)).toBe(0x8000);
    expect(mmu.translatePa(0x8000, Access.Write)).toBe(-1);
    expect(mmu.dfsr).toBe(0xa0f);
  });

  it('memory types from MAIR0/MAIR1 by AttrIndx', () => {
    const { ram, mmu } = scene({ mair0: 0x0044_ff04, mair1: 0x44 });
    mmu.translatePa(0x5000, Access.Read); // AttrIndx 1: 0xff
    expect(mmu.lastFlags & (MappingFlags.DEVICE | MappingFlags.UNCACHED)).toBe(0);
    w64(ram, 0x3000 + 13 * 8, 0, 0x0000_d403); // AttrIndx 0: 0x04 Device
    w64(ram, 0x3000 + 14 * 8, 0, 0x0000_e40b); // AttrIndx 2: 0x44 Non-cacheable
    w64(ram, 0x3000 + 15 * 8, 0, 0x0000_f413); // AttrIndx 4: MAIR1 byte 0 = 0x44
    mmu.translatePa(0xd000, Access.Read);
    expect(mmu.lastFlags & (MappingFlags.DEVICE | MappingFlags.UNCACHED)).toBe(MappingFlags.DEVICE);
    mmu.translatePa(0xe000, Access.Read);
    expect(mmu.lastFlags & (MappingFlags.DEVICE | MappingFlags.UNCACHED)).toBe(MappingFlags.UNCACHED);
    mmu.translatePa(0xf000, Access.Read);
    expect(mmu.lastFlags & (MappingFlags.DEVICE | MappingFlags.UNCACHED)).toBe(MappingFlags.UNCACHED);
  });
});

describe('ArmV7Mmu LPAE: faults and FSR values (Arm ARM B3.13, long-descriptor FSR encodings)', () => {
  const CASES: readonly [string, number, Access, string, number, number][] = [
    ['invalid level-3 descriptor', 0x6000, Access.Read, 'translation', 3, 0x207],
    ['level-3 type 01 (reserved)', 0xb000, Access.Write, 'translation', 3, 0xa07],
    ['invalid level-2 descriptor', 0x0040_0000, Access.Read, 'translation', 2, 0x206],
    ['invalid level-1 descriptor', 0x8000_0000, Access.Read, 'translation', 1, 0x205],
    ['AF = 0', 0x7000, Access.Read, 'access-flag', 3, 0x20b],
    ['AP[2] = 1 on a store', 0x8000, Access.Write, 'permission', 3, 0xa0f],
    ['output address bit 40', 0x9000, Access.Read, 'address-size', 3, 0x203],
    ['XN on a fetch', 0xa000, Access.Execute, 'permission', 3, 0x20f],
  ];
  for (const [what, va, access, kind, level, fsr] of CASES) {
    it(`${what}: ${kind} fault, level ${level}, FSR 0x${fsr.toString(16)}`, () => {
      const { mmu } = scene();
      expect(mmu.translatePa(va, access)).toBe(-1);
      expect(mmu.lastFault).toMatchObject({ kind, level, longDescriptor: true, fsr, far: va, domain: 0 });
      if (access === Access.Execute) expect([mmu.ifsr, mmu.ifar]).toEqual([fsr, va]);
      else expect([mmu.dfsr, mmu.dfar]).toEqual([fsr, va]);
    });
  }

  it('APTable[0], APTable[1], XNTable and PXNTable restrict everything below the link', () => {
    const { ram, mmu } = scene();
    w64(ram, 0x1000, 1 << 29, 0x2003); // APTable[0]: no PL0 access
    mmu.pl = 0;
    expect(mmu.translatePa(0x0020_0000, Access.Read)).toBe(-1);
    expect(mmu.dfsr).toBe(0x20e);
    w64(ram, 0x1000, 1 << 30, 0x2003); // APTable[1]: no writes
    mmu.tlbiall();
    expect(mmu.translatePa(0x0020_0000, Access.Read)).toBe(0x0120_0000);
    expect(mmu.translatePa(0x0020_0000, Access.Write)).toBe(-1);
    w64(ram, 0x1000, 1 << 28, 0x2003); // XNTable
    mmu.tlbiall();
    expect(mmu.translatePa(0xc000, Access.Execute)).toBe(-1);
    expect(mmu.ifsr).toBe(0x20f);
    w64(ram, 0x1000, 1 << 27, 0x2003); // PXNTable: PL0 may still execute
    mmu.tlbiall();
    expect(mmu.translatePa(0xc000, Access.Execute)).toBe(0xc000);
    mmu.pl = 1;
    expect(mmu.translatePa(0x5000, Access.Execute)).toBe(-1);
  });

  it('TTBCR.EPD0 = 1: a level-1 translation fault for the TTBR0 range', () => {
    const { mmu } = scene({ ttbcr: EAE | (1 << 7) });
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(-1);
    expect(mmu.dfsr).toBe(0x205);
  });
});

describe('ArmV7Mmu LPAE: T0SZ / T1SZ (B3.6.4)', () => {
  it('T0SZ = T1SZ = 1: two 2-entry level-1 tables split at 2^31', () => {
    const { ram, mmu } = scene({ ttbcr: EAE | 1 | (1 << 16), ttbr1: 0x4000 });
    w64(ram, 0x4000, 0, 0x0000_0405); // VA 0x8000_0000 → PA 0
    w64(ram, 0x4008, 0, 0x4000_0405); // VA 0xc000_0000 → PA 0x4000_0000
    expect(mmu.translatePa(0x7fff_fffc, Access.Read)).toBe(0x80_7fff_fffc); // TTBR0 [1], indexed by VA[30]
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x12_3456_7000);
    expect(mmu.translatePa(0x8000_1000, Access.Read)).toBe(0x1000);
    expect(mmu.translatePa(0xffff_f000, Access.Read)).toBe(0x7fff_f000);
    expect(mmu.debugTranslate(0xffff_f000).ttbr).toBe(1);
  });

  it('T0SZ = T1SZ = 2: both start at level 2, and the VAs between the ranges fault at level 1', () => {
    const ram = newRam();
    w64(ram, 0x5000 + 511 * 8, 0, 0x3fe0_0405); // TTBR0: VA 0x3fe0_0000 → PA 0x3fe0_0000
    w64(ram, 0x6000 + 511 * 8, 0, 0x0020_0405); // TTBR1: VA 0xffe0_0000 → PA 0x0020_0000
    w64(ram, 0x6000, 0, 0x0040_0405); // TTBR1: VA 0xc000_0000 → PA 0x0040_0000
    const mmu = new ArmV7Mmu(ram, { sctlr: 1, ttbcr: EAE | 2 | (2 << 16), ttbr0: 0x5000, ttbr1: 0x6000 });
    expect(mmu.translatePa(0x3fff_f000, Access.Read)).toBe(0x3fff_f000);
    expect(mmu.translatePa(0xffff_f000, Access.Read)).toBe(0x003f_f000);
    expect(mmu.translatePa(0xc000_0000, Access.Read)).toBe(0x0040_0000);
    for (const va of [0x4000_0000, 0x8000_0000, 0xbfff_f000]) {
      expect(mmu.translatePa(va, Access.Read)).toBe(-1);
      expect(mmu.lastFault).toMatchObject({ kind: 'translation', level: 1, fsr: 0x205 });
    }
    expect(mmu.debugTranslate(0x8000_0000).steps).toEqual([]);
  });

  it('T1SZ = 0: TTBR1 takes everything from 2^(32-T0SZ), through a full level-1 table', () => {
    const ram = newRam();
    w64(ram, 0x5000 + 0x10 * 8, 0, 0x0200_0405); // T0SZ = 7 (32 MiB, 16 entries): VA 0x0200_0000 would be index 16 — not TTBR0
    w64(ram, 0x5000 + 15 * 8, 0, 0x0060_0405); // TTBR0 [15]: VA 0x01e0_0000 → PA 0x0060_0000
    w64(ram, 0x7000, 0, 0x0000_0405); // TTBR1 [0]: VA 0..1 GiB → PA 0
    w64(ram, 0x7018, 0, 0x4000_0405); // TTBR1 [3]: VA 0xc000_0000 → PA 0x4000_0000
    const mmu = new ArmV7Mmu(ram, { sctlr: 1, ttbcr: EAE | 7, ttbr0: 0x5000, ttbr1: 0x7000 });
    expect(mmu.translatePa(0x01ff_f000, Access.Read)).toBe(0x007f_f000);
    expect(mmu.translatePa(0x0200_0000, Access.Read)).toBe(0x0200_0000);
    expect(mmu.debugTranslate(0x0200_0000).ttbr).toBe(1);
    expect(mmu.translatePa(0xffff_f000, Access.Read)).toBe(0x7fff_f000);
  });

  it('TTBR BADDR[39:x] with x from TnSZ: low register bits below x are ignored', () => {
    const { mmu } = scene({ ttbr0: 0x101f }); // T0SZ = 0: x = 5
    expect(mmu.translatePa(0x5abc, Access.Read)).toBe(0x12_3456_7abc);
  });
});

describe('ArmV7Mmu LPAE: ASIDs', () => {
  it('the ASID comes from TTBR0[55:48], or TTBR1[55:48] with TTBCR.A1; nG entries are tagged with it', () => {
    const { ram, mmu } = scene();
    expect(mmu.asid).toBe(3);
    expect(mmu.translatePa(0xc000, Access.Read)).toBe(0xc000); // nG
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x12_3456_7000); // global
    w64(ram, 0x3000 + 12 * 8, 0, 0);
    w64(ram, 0x3000 + 5 * 8, 0, 0);
    mmu.ttbr0 = (4n << 48n) | 0x1000n;
    expect(mmu.asid).toBe(4);
    expect(mmu.translatePa(0xc000, Access.Read)).toBe(-1);
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(0x12_3456_7000);
    mmu.ttbr1 = 3n << 48n;
    mmu.ttbcr = EAE | (1 << 22); // A1: the TTBR1 ASID (3); a TTBCR change flushes the TLB
    expect(mmu.asid).toBe(3);
    expect(mmu.translatePa(0x5000, Access.Read)).toBe(-1);
    expect(mmu.ttbr0).toBe(0x0004_0000_0000_1000);
  });
});
