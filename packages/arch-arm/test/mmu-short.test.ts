/**
 * ArmV7Mmu with short descriptors: vectors built from the Arm ARM's
 * descriptor layouts (B3.5.1), access permissions (B3.7.1),
 * domains (B4.1, DACR), the TTBCR.N split (B3.5.4) and the FSR encodings
 * (Arm ARM B3.13, short-descriptor FSR encodings). Descriptor values are written out by hand.
 */
import { Access, MappingFlags, type RamHandler } from '@page-table/core';
import { describe, expect, it } from 'vitest';
import { ArmV7Mmu, type ArmV7MmuOptions } from '../src/index.js';
import { firstDiff, newRam, snapshot, w32 } from './helpers.js';

const TTB = 0x4000; // first-level table, 16 KiB aligned
const L2 = 0x8400; // a second-level table at a 1 KiB (not 4 KiB) aligned address

/**
 * The base scene:
 * - VA 0x0010_0000: section → PA 0x0030_0000, AP 011, domain 0;
 * - VA 0x0020_0000: page table at 0x8400, domain 1: [0] small page PA 0x0050_0000 AP 001,
 *   [1] small page PA 0x0050_1000 AP 011 XN, [2] fault, [16..31] large page PA 0x0060_0000 AP 011;
 * - VA 0x0100_0000: supersection PA 0xab_5000_0000 (PA[35:32] = 0xb, PA[39:36] = 0xa), AP 011, nG;
 * - VA 0x0040_0000: section → PA 0x0080_0000 AP 010 (AP[0] = 0), domain 2;
 * - VA 0xfff0_0000: section → PA 0x0070_0000, AP 011.
 */
function scene(options: ArmV7MmuOptions = {}): { ram: RamHandler; mmu: ArmV7Mmu } {
  const ram = newRam();
  w32(ram, TTB + 0x001 * 4, 0x0030_0c02);
  w32(ram, TTB + 0x002 * 4, 0x0000_8421);
  w32(ram, L2 + 0 * 4, 0x0050_0012);
  w32(ram, L2 + 1 * 4, 0x0050_1033);
  for (let i = 16; i < 32; i++) w32(ram, L2 + i * 4, 0x0060_0031);
  for (let i = 0x10; i < 0x20; i++) w32(ram, TTB + i * 4, 0x50b4_0d42 | (1 << 17));
  w32(ram, TTB + 0x004 * 4, 0x0080_0842);
  w32(ram, TTB + 0xfff * 4, 0x0070_0c02);
  const mmu = new ArmV7Mmu(ram, { sctlr: 1, ttbr0: TTB, dacr: 0x5555_5555, pl: 1, ...options });
  return { ram, mmu };
}

describe('ArmV7Mmu short descriptors: translation', () => {
  it('sections, small pages, large pages and supersections', () => {
    const { mmu } = scene();
    expect(mmu.translatePa(0x0010_0123, Access.Read)).toBe(0x0030_0123);
    expect(mmu.lastSize).toBe(0x10_0000);
    expect(mmu.translatePa(0x0020_0abc, Access.Write)).toBe(0x0050_0abc);
    expect(mmu.lastSize).toBe(0x1000);
    expect(mmu.translatePa(0x0021_5678, Access.Read)).toBe(0x0060_5678);
    expect(mmu.lastSize).toBe(0x1_0000);
    expect(mmu.translatePa(0x0123_4567, Access.Read)).toBe(0xab_5023_4567);
    expect(mmu.lastSize).toBe(0x100_0000);
  });

  it('supersection PA[39:32] from the extended base address fields', () => {
    const { ram, mmu } = scene();
    for (const [pa3936, pa3532] of [
      [0, 0],
      [0xf, 0],
      [0, 0xf],
      [0x5, 0xa],
      [0xf, 0xf],
    ]) {
      for (let i = 0x10; i < 0x20; i++) w32(ram, TTB + i * 4, 0x7f04_0c02 | (pa3532 << 20) | (pa3936 << 5));
      mmu.tlbiall();
      expect(mmu.translatePa(0x01ff_fffc, Access.Read)).toBe((pa3936 * 16 + pa3532) * 2 ** 32 + 0x7fff_fffc);
    }
  });

  it('the top of the 32-bit space: 0xffff_f000, also as a sign-extended number and as halves', () => {
    const { mmu } = scene();
    expect(mmu.translatePa(0xffff_f123, Access.Read)).toBe(0x007f_f123);
    expect(mmu.translatePa(-0xedd, Access.Read)).toBe(0x007f_f123);
    expect(mmu.translatePaHalves(0xffff_ffff, 0xffff_f123, Access.Read)).toBe(0x007f_f123);
    expect(mmu.translate(0xffff_ffffn, Access.Read)).toMatchObject({ paddr: 0x007f_ffff, size: 0x10_0000 });
  });

  it('a VA that is neither 32-bit nor sign-extended is a va-range fault that writes no fault register', () => {
    const { mmu } = scene();
    expect(mmu.translatePaHalves(1, 0x0010_0000, Access.Read)).toBe(-1);
    expect(mmu.lastFault).toMatchObject({ kind: 'va-range', level: 0, fsr: 0, va: 0x1_0010_0000 });
    expect(mmu.translatePaHalves(0xffff_ffff, 0x0010_0000, Access.Read)).toBe(-1);
    expect(mmu.translatePa(-0x1_0000_1000, Access.Read)).toBe(-1);
    expect([mmu.dfsr, mmu.dfar, mmu.ifsr, mmu.ifar]).toEqual([0, 0, 0, 0]);
    expect(mmu.stats.faults).toBe(3);
  });

  it('MMU off: PA = VA with every access allowed', () => {
    const { mmu } = scene({ sctlr: 0 });
    expect(mmu.translatePa(0xdead_beef, Access.Execute)).toBe(0xdead_beef);
    expect(mmu.lastFlags).toBe(MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE);
  });
});

describe('ArmV7Mmu short descriptors: faults and FSR values (Arm ARM B3.13, short-descriptor FSR encodings)', () => {
  it('translation fault, section: FS 00101; DFSR with WnR for a store, IFSR for a fetch', () => {
    const { mmu } = scene();
    expect(mmu.translatePa(0x0030_0010, Access.Read)).toBe(-1);
    expect([mmu.dfsr, mmu.dfar]).toEqual([0x005, 0x0030_0010]);
    expect(mmu.translatePa(0x0030_0020, Access.Write)).toBe(-1);
    expect([mmu.dfsr, mmu.dfar]).toEqual([0x805, 0x0030_0020]);
    expect(mmu.translatePa(0x0030_0030, Access.Execute)).toBe(-1);
    expect([mmu.ifsr, mmu.ifar]).toEqual([0x005, 0x0030_0030]);
    expect(mmu.dfar).toBe(0x0030_0020);
    expect(mmu.lastFault).toEqual({
      kind: 'translation',
      level: 1,
      longDescriptor: false,
      access: Access.Execute,
      register: 'IFSR',
      fsr: 0x005,
      far: 0x0030_0030,
      domain: 0,
      va: 0x0030_0030,
    });
  });

  it('translation fault, page: FS 00111 with the page table’s domain', () => {
    const { mmu } = scene();
    expect(mmu.translatePa(0x0020_2000, Access.Read)).toBe(-1);
    expect(mmu.dfsr).toBe(0x017);
    expect(mmu.lastFault).toMatchObject({ kind: 'translation', level: 2, domain: 1 });
  });

  it('domain faults: No access (00) and reserved (10), section FS 01001 and page FS 01011', () => {
    const { mmu } = scene({ dacr: 0x5555_5554 }); // D0 = 00
    expect(mmu.translatePa(0x0010_0000, Access.Read)).toBe(-1);
    expect(mmu.dfsr).toBe(0x009);
    mmu.dacr = 0x5555_5559; // D1 = 10 (reserved)
    expect(mmu.translatePa(0x0020_0000, Access.Write)).toBe(-1);
    expect(mmu.dfsr).toBe(0x81b);
    expect(mmu.lastFault).toMatchObject({ kind: 'domain', level: 2, domain: 1 });
    // A fault entry in the table still gives a translation fault first (the domain is checked on the leaf).
    expect(mmu.translatePa(0x0020_2000, Access.Read)).toBe(-1);
    expect(mmu.dfsr).toBe(0x017);
  });

  it('permission fault, page: FS 01111; XN forbids a fetch (IFSR has no domain)', () => {
    const { mmu } = scene({ pl: 0 });
    expect(mmu.translatePa(0x0020_0000, Access.Read)).toBe(-1); // AP 001: no PL0 access
    expect(mmu.dfsr).toBe(0x01f);
    expect(mmu.translatePa(0x0020_1000, Access.Write)).toBe(0x0050_1000); // AP 011
    expect(mmu.translatePa(0x0020_1000, Access.Execute)).toBe(-1); // XN
    expect(mmu.ifsr).toBe(0x00f);
    expect(mmu.translatePa(0x0010_0000, Access.Execute)).toBe(0x0030_0000);
  });

  it('a Manager domain skips the permission checks, XN included', () => {
    const { mmu } = scene({ pl: 0, dacr: 0x5555_555d }); // D1 = 11
    expect(mmu.translatePa(0x0020_0000, Access.Write)).toBe(0x0050_0000);
    expect(mmu.translatePa(0x0020_1000, Access.Execute)).toBe(0x0050_1000);
    expect(mmu.lastFlags & MappingFlags.EXECUTE).toBe(MappingFlags.EXECUTE);
  });

  it('SCTLR.AFE = 1: AP[0] = 0 is an access flag fault (section FS 00011, page FS 00110), never set by the MMU', () => {
    const { ram, mmu } = scene({ sctlr: 1 | (1 << 29) });
    const before = snapshot(ram);
    expect(mmu.translatePa(0x0040_0000, Access.Read)).toBe(-1);
    expect(mmu.dfsr).toBe(0x023); // domain 2
    expect(mmu.lastFault).toMatchObject({ kind: 'access-flag', level: 1, domain: 2 });
    w32(ram, L2 + 3 * 4, 0x0050_3022); // small page, AP 010: AP[0] = 0
    expect(mmu.translatePa(0x0020_3000, Access.Write)).toBe(-1);
    expect(mmu.dfsr).toBe(0x816);
    // With AFE = 0 the same section is AP 010: PL1 RW.
    mmu.sctlr = 1;
    expect(mmu.translatePa(0x0040_0000, Access.Write)).toBe(0x0080_0000);
    expect(firstDiff(snapshot(ram).subarray(0, 0x8000), before.subarray(0, 0x8000))).toBe(-1);
  });

  it('PXN (section bit 0, page-table bit 2) forbids PL1 execution only; without the PXN extension type 11 is a translation fault', () => {
    const { ram, mmu } = scene();
    w32(ram, TTB + 0x005 * 4, 0x0090_0c03); // section with PXN
    expect(mmu.translatePa(0x0050_0000, Access.Execute)).toBe(-1);
    expect(mmu.ifsr).toBe(0x00d);
    mmu.pl = 0;
    expect(mmu.translatePa(0x0050_0000, Access.Execute)).toBe(0x0090_0000);
    w32(ram, TTB + 0x006 * 4, 0x0000_8425); // page table with PXN
    mmu.pl = 1;
    expect(mmu.translatePa(0x0060_0000, Access.Execute)).toBe(-1); // L2[0] has XN = 0
    expect(mmu.ifsr).toBe(0x00f);
    expect(mmu.translatePa(0x0060_0000, Access.Read)).toBe(0x0050_0000);
    const old = new ArmV7Mmu(ram, { sctlr: 1, ttbr0: TTB, pxn: false });
    expect(old.translatePa(0x0050_0000, Access.Read)).toBe(-1);
    expect(old.dfsr).toBe(0x005);
    expect(old.translatePa(0x0060_0000, Access.Execute)).toBe(0x0050_0000);
  });

  it('a descriptor outside physical memory is a synchronous external abort on the walk', () => {
    const { mmu } = scene({ ttbr0: 0x4000_0000 });
    expect(mmu.translatePa(0x1000, Access.Read)).toBe(-1);
    expect(mmu.dfsr).toBe(0x00c);
    expect(mmu.lastFault?.kind).toBe('external-abort');
  });

  it('TTBCR.PD0 / PD1 disable the walk of their range: a section translation fault', () => {
    const { mmu } = scene({ ttbcr: 1 | (1 << 4) });
    expect(mmu.translatePa(0x0010_0000, Access.Read)).toBe(-1);
    expect(mmu.dfsr).toBe(0x005);
  });
});

describe('ArmV7Mmu short descriptors: access permissions (B3.7.1, B3-9)', () => {
  // [AP[2:0], rights at PL1, rights at PL0] with SCTLR.AFE = 0, from the manual's table.
  const FULL: readonly [number, string, string][] = [
    [0b000, '--', '--'],
    [0b001, 'rw', '--'],
    [0b010, 'rw', 'r-'],
    [0b011, 'rw', 'rw'],
    [0b100, '--', '--'], // reserved
    [0b101, 'r-', '--'],
    [0b110, 'r-', 'r-'],
    [0b111, 'r-', 'r-'],
  ];
  // [AP[2:1], PL1, PL0] of the simplified model (AFE = 1, AP[0] = 1).
  const SIMPLE: readonly [number, string, string][] = [
    [0b00, 'rw', '--'],
    [0b01, 'rw', 'rw'],
    [0b10, 'r-', '--'],
    [0b11, 'r-', 'r-'],
  ];

  function rights(mmu: ArmV7Mmu, va: number): string {
    const r = mmu.translatePa(va, Access.Read) >= 0 ? 'r' : '-';
    const w = mmu.translatePa(va, Access.Write) >= 0 ? 'w' : '-';
    return r + w;
  }

  function section(ap: number): number {
    return 0x0090_0002 | ((ap & 3) << 10) | ((ap >> 2) << 15);
  }

  it('every AP[2:0] at PL1 and PL0 with AFE = 0', () => {
    for (const [ap, pl1, pl0] of FULL) {
      const { ram, mmu } = scene();
      w32(ram, TTB + 0x009 * 4, section(ap));
      expect([ap, rights(mmu, 0x0090_0000)]).toEqual([ap, pl1]);
      mmu.pl = 0;
      expect([ap, rights(mmu, 0x0090_0000)]).toEqual([ap, pl0]);
      const f = mmu.translatePa(0x0090_0000, Access.Execute) >= 0;
      expect(f).toBe(pl0 !== '--');
    }
  });

  it('every AP[2:1] with AFE = 1, and AP[0] = 0 an access flag fault whatever AP[2:1] says', () => {
    for (const [ap21, pl1, pl0] of SIMPLE) {
      const { ram, mmu } = scene({ sctlr: 1 | (1 << 29) });
      w32(ram, TTB + 0x009 * 4, section((ap21 << 1) | 1));
      expect(rights(mmu, 0x0090_0000)).toBe(pl1);
      mmu.pl = 0;
      expect(rights(mmu, 0x0090_0000)).toBe(pl0);
      w32(ram, TTB + 0x009 * 4, section(ap21 << 1));
      mmu.tlbiall();
      expect(mmu.translatePa(0x0090_0000, Access.Read)).toBe(-1);
      expect(mmu.lastFault?.kind).toBe('access-flag');
    }
  });
});

describe('ArmV7Mmu short descriptors: the TTBCR.N split (B3.5.4)', () => {
  const T0 = 0x1_0000;
  const T1 = 0x2_0000;

  it('N = 0: TTBR0 translates every VA', () => {
    const ram = newRam();
    w32(ram, T0 + 0xfff * 4, 0x00a0_0c02);
    const mmu = new ArmV7Mmu(ram, { sctlr: 1, ttbr0: T0, ttbr1: T1 });
    expect(mmu.translatePa(0xffff_f000, Access.Read)).toBe(0x00af_f000);
  });

  for (let n = 1; n <= 7; n++) {
    it(`N = ${n}: TTBR0 below 2^${32 - n}, TTBR1 from it, indexed by VA[${31 - n}:20] and VA[31:20]`, () => {
      const ram = newRam();
      const boundary = 2 ** (32 - n);
      const last0 = (boundary - 1) >>> 20; // the last entry of the TTBR0 table (2^(12-N) entries)
      w32(ram, T0 + last0 * 4, 0x00a0_0c02);
      w32(ram, T1 + (boundary >>> 20) * 4, 0x00b0_0c02);
      w32(ram, T1 + 0xfff * 4, 0x00c0_0c02);
      // TTBR0 holds bits [31:14-N] only: low bits set in the register do not move the table.
      const mmu = new ArmV7Mmu(ram, { sctlr: 1, ttbr0: T0 | ((0x3fff >>> n) & 0x3f80), ttbr1: T1 | 0x7f, ttbcr: n });
      expect(mmu.translatePa(boundary - 0x1000, Access.Read)).toBe(0x00af_f000);
      expect(mmu.translatePa(boundary, Access.Read)).toBe(0x00b0_0000);
      expect(mmu.translatePa(0xffff_f000, Access.Read)).toBe(0x00cf_f000);
      expect(mmu.debugTranslate(boundary - 1).ttbr).toBe(0);
      expect(mmu.debugTranslate(boundary).ttbr).toBe(1);
      // PD1 disables the TTBR1 range only.
      mmu.ttbcr = n | (1 << 5);
      expect(mmu.translatePa(boundary, Access.Read)).toBe(-1);
      expect(mmu.translatePa(boundary - 0x1000, Access.Read)).toBe(0x00af_f000);
    });
  }
});

describe('ArmV7Mmu short descriptors: memory types, ASIDs and TLB maintenance', () => {
  it('TEX/C/B memory types with TEX remap off, and through PRRR/NMRR with TRE = 1', () => {
    const { ram, mmu } = scene();
    w32(ram, TTB + 0x00a * 4, 0x00a0_0c06); // TEX 000 C 0 B 1: Shareable Device
    w32(ram, TTB + 0x00b * 4, 0x00b0_1c02); // TEX 001 C 0 B 0: Normal Non-cacheable
    w32(ram, TTB + 0x00c * 4, 0x00c0_1c0e); // TEX 001 C 1 B 1: Normal WBWA
    mmu.translatePa(0x00a0_0000, Access.Read);
    expect(mmu.lastFlags & (MappingFlags.DEVICE | MappingFlags.UNCACHED)).toBe(MappingFlags.DEVICE);
    mmu.translatePa(0x00b0_0000, Access.Read);
    expect(mmu.lastFlags & (MappingFlags.DEVICE | MappingFlags.UNCACHED)).toBe(MappingFlags.UNCACHED);
    mmu.translatePa(0x00c0_0000, Access.Read);
    expect(mmu.lastFlags & (MappingFlags.DEVICE | MappingFlags.UNCACHED)).toBe(0);
    // TRE = 1: region n = TEX[0]:C:B; PRRR TR1 = 01 (Device), TR3 = 10 with NMRR IR3 = OR3 = 00 (Non-cacheable).
    mmu.prrr = (0b01 << 2) | (0b10 << 6) | (0b10 << 14);
    mmu.nmrr = (0b01 << 14) | (0b01 << 30);
    mmu.sctlr = 1 | (1 << 28);
    mmu.translatePa(0x00a0_0000, Access.Read); // n = 1
    expect(mmu.lastFlags & (MappingFlags.DEVICE | MappingFlags.UNCACHED)).toBe(MappingFlags.DEVICE);
    mmu.translatePa(0x00c0_0000, Access.Read); // n = 7 (TEX[0] = 1, C = 1, B = 1): Normal cacheable
    expect(mmu.lastFlags & (MappingFlags.DEVICE | MappingFlags.UNCACHED)).toBe(0);
    w32(ram, TTB + 0x00d * 4, 0x00d0_0c0e); // TEX 000 C 1 B 1: n = 3
    mmu.translatePa(0x00d0_0000, Access.Read);
    expect(mmu.lastFlags & (MappingFlags.DEVICE | MappingFlags.UNCACHED)).toBe(MappingFlags.UNCACHED);
  });

  it('a cached entry keeps serving until TLBIMVA / TLBIMVAA / TLBIALL; a DACR write takes effect at once', () => {
    const { ram, mmu } = scene();
    expect(mmu.translatePa(0x0021_0000, Access.Read)).toBe(0x0060_0000);
    expect(mmu.translatePa(0x0021_f000, Access.Read)).toBe(0x0060_f000);
    for (let i = 16; i < 32; i++) w32(ram, L2 + i * 4, 0);
    expect(mmu.translatePa(0x0021_f000, Access.Read)).toBe(0x0060_f000); // stale, as on hardware
    mmu.tlbimva(0x0021_0000); // any MVA of the large page drops all of it
    expect(mmu.translatePa(0x0021_f000, Access.Read)).toBe(-1);
    mmu.translatePa(0x0010_0000, Access.Read);
    mmu.dacr = 0x5555_5554;
    expect(mmu.translatePa(0x0010_0000, Access.Read)).toBe(-1);
    expect(mmu.dfsr).toBe(0x009);
    mmu.dacr = 0x5555_5555;
    w32(ram, TTB + 0x001 * 4, 0);
    expect(mmu.translatePa(0x0010_0000, Access.Read)).toBe(0x0030_0000);
    mmu.tlbimvaa(0x0010_0000);
    expect(mmu.translatePa(0x0010_0000, Access.Read)).toBe(-1);
    mmu.translatePa(0xffff_f000, Access.Read);
    w32(ram, TTB + 0xfff * 4, 0);
    mmu.tlbiall();
    expect(mmu.translatePa(0xffff_f000, Access.Read)).toBe(-1);
  });

  it('nG entries are tagged with CONTEXTIDR.ASID; TLBIASID drops them, global entries stay', () => {
    const { ram, mmu } = scene({ contextidr: 0x1205 });
    expect(mmu.asid).toBe(5);
    expect(mmu.translatePa(0x0100_1000, Access.Read)).toBe(0xab_5000_1000); // nG supersection
    expect(mmu.translatePa(0x0010_0000, Access.Read)).toBe(0x0030_0000); // global section
    for (let i = 0x10; i < 0x20; i++) w32(ram, TTB + i * 4, 0);
    w32(ram, TTB + 0x001 * 4, 0);
    mmu.contextidr = 6; // another ASID: the nG entry is not used, the global one is
    expect(mmu.translatePa(0x0100_1000, Access.Read)).toBe(-1);
    expect(mmu.translatePa(0x0010_0000, Access.Read)).toBe(0x0030_0000);
    mmu.contextidr = 5;
    expect(mmu.translatePa(0x0100_1000, Access.Read)).toBe(0xab_5000_1000);
    mmu.tlbiasid(5);
    expect(mmu.translatePa(0x0100_1000, Access.Read)).toBe(-1);
    expect(mmu.translatePa(0x0010_0000, Access.Read)).toBe(0x0030_0000);
    mmu.tlbimva(0x0010_0000 | 9); // global entries of the MVA go whatever the ASID
    expect(mmu.translatePa(0x0010_0000, Access.Read)).toBe(-1);
  });

  it('debugTranslate: the steps read, the leaf’s permissions and domain, no side effect', () => {
    const { ram, mmu } = scene({ pl: 0 });
    const bytes = snapshot(ram);
    const ok = mmu.debugTranslate(0x0020_1004, Access.Write);
    // TEX 000, C 0, B 0: Strongly-ordered, which reads as DEVICE.
    const flags = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.USER | MappingFlags.DEVICE;
    expect(ok.result).toEqual({ paddr: 0x0050_1004, size: 0x1000, flags });
    expect(ok.steps.map((s) => [s.level, s.index, s.entryPaddr, s.entry])).toEqual([
      [1, 2, TTB + 8, 0x8421n],
      [0, 1, L2 + 4, 0x0050_1033n],
    ]);
    expect(ok).toMatchObject({ format: 'short', pl: 0, ttbr: 0, domain: 1, leafSize: 0x1000 });
    const bad = mmu.debugTranslate(0x0020_0000, Access.Read);
    expect(bad.result.fault).toMatchObject({ kind: 'permission', fsr: 0x01f });
    expect(bad.permissions).toBe(MappingFlags.DEVICE);
    expect([bad.stopLevel, bad.stopReason]).toEqual([0, 'permission']);
    expect(mmu.stats).toEqual({ hits: 0, misses: 0, faults: 0 });
    expect(mmu.dfsr).toBe(0);
    expect(firstDiff(snapshot(ram), bytes)).toBe(-1);
  });

  it('describeFault names the abort, the status, DFSR and DFAR', () => {
    const { mmu } = scene();
    mmu.translatePa(0x0030_0000, Access.Write);
    const r = mmu.describeFault(mmu.lastFault ?? (undefined as never));
    expect(r.summary).toBe('Data Abort: Translation fault, section, DFSR = 0x805, DFAR = 0x300000');
    expect(r.fields).toMatchObject({ kind: 'translation', level: 1, wnr: true, register: 'DFSR' });
  });
});
