// The x86_64 test vectors of MMU.md §2.7, each on a fresh copy of base table X0
// built byte for byte in a RamHandler. Where QEMU 7.2 differs (X7, X9, X11, X13:
// RSVD without P), the SDM's value is asserted and QEMU's is noted.
import { Access, MappingFlags, PageSize, RamHandler } from '@page-table/core';
import { describe, expect, it } from 'vitest';
import { type X64Fault, X64Mmu, type X64MmuOptions } from '../src/index.js';

const { READ: R, WRITE: W, EXECUTE: X, USER: U } = MappingFlags;

/** X0: the base tables of MMU.md §2.7. */
const X0: readonly (readonly [number, bigint])[] = [
  [0x1000, 0x0000000000002007n], // PML4[0] → PDPT 0x2000
  [0x2000, 0x0000000000003007n], // PDPT[0] → PD 0x3000
  [0x2008, 0x0000000040000087n], // PDPT[1] 1G leaf, user RW, PA 0x4000_0000
  [0x3000, 0x0000000000004007n], // PD[0] → PT 0x4000
  [0x3008, 0x0000000000200083n], // PD[1] 2M leaf, supervisor RW, PA 0x20_0000
  [0x4028, 0x0000000000005007n], // PT[5] user RW
  [0x4030, 0x0000000000006005n], // PT[6] user RO
  [0x4038, 0x8000000000007007n], // PT[7] user RW XD
  [0x4040, 0x0000000000008003n], // PT[8] supervisor RW
  [0x4050, 0n], // PT[10] not present
  [0x4058, 0x000001000000b007n], // PT[11] PA bit 40 set
];

// X0: CR3 = 0x1000; CR0.PG = WP = 1, CR4.PAE = 1, EFER.LMA = LME = NXE = 1; M = 52.
const CR0 = 0x8001_0011;
const CR0_NO_WP = 0x8000_0011;
const CR4 = 0x20;
const EFER = 0xd00;

function x0(changes: readonly (readonly [number, bigint])[] = []): RamHandler {
  const ram = new RamHandler({ size: 0x1_0000 });
  for (const [at, v] of [...X0, ...changes]) ram.write64(at, v);
  return ram;
}

function mmuOf(ram: RamHandler, opts: X64MmuOptions = {}): X64Mmu {
  return new X64Mmu(ram, { cr0: CR0, cr3: 0x1000, cr4: CR4, efer: EFER, cpl: 3, maxPhyAddr: 52, ...opts });
}

function pf(errorCode: number, cr2: number | bigint): { fault: X64Fault } {
  return { fault: { vector: 14, errorCode, cr2 } as X64Fault };
}

/** The four entries of the walk to 0x5000..0x8fff. */
function path(ram: RamHandler, pte: number): bigint[] {
  return [ram.read64(0x1000), ram.read64(0x2000), ram.read64(0x3000), ram.read64(pte)];
}

describe('MMU.md §2.7 x86_64 vectors on base X0', () => {
  it('X1: CPL3 read sets A on every level', () => {
    const ram = x0();
    const r = mmuOf(ram).translate(0x5123, Access.Read);
    expect(r).toEqual({ paddr: 0x5123, size: PageSize.Size4K, flags: R | W | X | U });
    expect(path(ram, 0x4028)).toEqual([0x2027n, 0x3027n, 0x4027n, 0x5027n]);
  });

  it('X2: CPL3 write sets D on the leaf only', () => {
    const ram = x0();
    expect(mmuOf(ram).translate(0x5123, Access.Write)).toMatchObject({ paddr: 0x5123 });
    expect(path(ram, 0x4028)).toEqual([0x2027n, 0x3027n, 0x4027n, 0x5067n]);
  });

  it('X3: CPL3 write to a read-only page: ec 0x07, leaf untouched, non-leaf A set', () => {
    const ram = x0();
    expect(mmuOf(ram).translate(0x6000, Access.Write)).toEqual(pf(0x07, 0x6000));
    expect(path(ram, 0x4030)).toEqual([0x2027n, 0x3027n, 0x4027n, 0x6005n]);
  });

  it('X4: CPL0 write to a read-only page: WP=1 ec 0x03; WP=0 allowed and dirty', () => {
    const ram = x0();
    expect(mmuOf(ram, { cpl: 0 }).translate(0x6000, Access.Write)).toEqual(pf(0x03, 0x6000));
    expect(ram.read64(0x4030)).toBe(0x6005n);
    const r = mmuOf(ram, { cpl: 0, cr0: CR0_NO_WP }).translate(0x6000, Access.Write);
    expect(r).toEqual({ paddr: 0x6000, size: PageSize.Size4K, flags: R | W | X | U });
    expect(ram.read64(0x4030)).toBe(0x6065n);
  });

  it('X5: CPL3 read of a supervisor page: ec 0x05', () => {
    const ram = x0();
    expect(mmuOf(ram).translate(0x8000, Access.Read)).toEqual(pf(0x05, 0x8000));
    expect(ram.read64(0x4040)).toBe(0x8003n);
  });

  it('X6: CPL3 fetch from an XD page: ec 0x15', () => {
    expect(mmuOf(x0()).translate(0x7000, Access.Execute)).toEqual(pf(0x15, 0x7000));
  });

  it('X7: EFER.NXE=0 makes XD reserved: SDM ec 0x0D (QEMU 7.2: 0x0C)', () => {
    const ram = x0();
    const mmu = mmuOf(ram, { efer: 0x500 });
    expect(mmu.translate(0x7000, Access.Execute)).toEqual(pf(0x0d, 0x7000));
    expect(mmu.faultReason).toBe('reserved-bit');
    expect(mmu.faultLevel).toBe(0);
    expect(ram.read64(0x4038)).toBe(0x8000000000007007n);
  });

  it('X8: not present: CPL0 read 0x00, CPL3 write 0x06, CPL0 fetch 0x10', () => {
    const ram = x0();
    expect(mmuOf(ram, { cpl: 0 }).translate(0xa000, Access.Read)).toEqual(pf(0x00, 0xa000));
    expect(mmuOf(ram, { cpl: 3 }).translate(0xa000, Access.Write)).toEqual(pf(0x06, 0xa000));
    expect(mmuOf(ram, { cpl: 0 }).translate(0xa000, Access.Execute)).toEqual(pf(0x10, 0xa000));
    expect(ram.read64(0x4050)).toBe(0n);
  });

  it('X9: MAXPHYADDR 40 makes PA bit 40 reserved: SDM ec 0x09 (QEMU 7.2: 0x08); M >= 41 translates', () => {
    const ram = x0();
    expect(mmuOf(ram, { cpl: 0, maxPhyAddr: 40 }).translate(0xb000, Access.Read)).toEqual(pf(0x09, 0xb000));
    expect(ram.read64(0x4058)).toBe(0x000001000000b007n);
    for (const m of [41, 46, 52]) {
      expect(mmuOf(x0(), { cpl: 0, maxPhyAddr: m }).translate(0xb000, Access.Read)).toMatchObject({
        paddr: 0x100_0000_b000,
        size: PageSize.Size4K,
      });
    }
  });

  it('X10: 2 MiB leaf: CPL0 read sets A after the check; CPL3 read ec 0x05', () => {
    const ram = x0();
    const r = mmuOf(ram, { cpl: 0 }).translate(0x2a_bcde, Access.Read);
    expect(r).toEqual({ paddr: 0x2a_bcde, size: PageSize.Size2M, flags: R | W | X });
    expect(ram.read64(0x3008)).toBe(0x2000a3n);
    const ram2 = x0();
    expect(mmuOf(ram2, { cpl: 3 }).translate(0x2a_bcde, Access.Read)).toEqual(pf(0x05, 0x2a_bcde));
    expect(ram2.read64(0x3008)).toBe(0x200083n);
    expect(ram2.read64(0x2000)).toBe(0x3027n);
  });

  it('X11: 2 MiB leaf with bits 20:13 set: SDM ec 0x09 (QEMU 7.2: 0x08)', () => {
    const ram = x0([[0x3008, 0x202083n]]);
    expect(mmuOf(ram, { cpl: 0 }).translate(0x20_0000, Access.Read)).toEqual(pf(0x09, 0x20_0000));
    expect(ram.read64(0x3008)).toBe(0x202083n);
  });

  it('X12: 1 GiB leaf: CPL3 read, A set on it', () => {
    const ram = x0();
    const r = mmuOf(ram).translate(0x4123_4567, Access.Read);
    expect(r).toEqual({ paddr: 0x4123_4567, size: PageSize.Size1G, flags: R | W | X | U });
    expect(ram.read64(0x2008)).toBe(0x4000_00a7n);
    expect(ram.read64(0x1000)).toBe(0x2027n);
  });

  it('X13: PS in a PML4E is reserved: SDM ec 0x09 (QEMU 7.2: 0x08)', () => {
    const ram = x0([[0x1008, 0x2087n]]);
    const mmu = mmuOf(ram, { cpl: 0 });
    expect(mmu.translate(0x80_0000_0000, Access.Read)).toEqual(pf(0x09, 0x80_0000_0000));
    expect(mmu.faultLevel).toBe(3);
    expect(ram.read64(0x1008)).toBe(0x2087n);
  });

  it('X14: non-canonical address: #GP(0), no walk, no CR2', () => {
    const ram = x0();
    const before = ram.words.slice();
    const mmu = mmuOf(ram, { cpl: 0 });
    expect(mmu.translate(0x0000_8000_0000_0000, Access.Read)).toEqual({ fault: { vector: 13, errorCode: 0 } });
    expect(mmu.faultReason).toBe('non-canonical');
    expect(ram.words.every((w, i) => w === before[i])).toBe(true);
    expect(mmu.translate(0xffff_8000_0000_0000n, Access.Read)).toEqual(pf(0x00, 0xffff_8000_0000_0000n));
  });

  it('X15: U/S is ANDed over the levels', () => {
    expect(mmuOf(x0([[0x3000, 0x4003n]])).translate(0x5000, Access.Read)).toEqual(pf(0x05, 0x5000));
    expect(mmuOf(x0([[0x3000, 0x4003n]]), { cpl: 0 }).translate(0x5000, Access.Read)).toEqual({
      paddr: 0x5000,
      size: PageSize.Size4K,
      flags: R | W | X,
    });
  });

  it('X16: R/W is ANDed over the levels', () => {
    const ch = [[0x2000, 0x3005n]] as const;
    expect(mmuOf(x0(ch)).translate(0x5000, Access.Write)).toEqual(pf(0x07, 0x5000));
    expect(mmuOf(x0(ch), { cpl: 0 }).translate(0x5000, Access.Write)).toEqual(pf(0x03, 0x5000));
    const ram = x0(ch);
    expect(mmuOf(ram, { cpl: 0, cr0: CR0_NO_WP }).translate(0x5000, Access.Write)).toMatchObject({ paddr: 0x5000 });
    expect(ram.read64(0x4028)).toBe(0x5067n);
  });

  it('X17: XD is ORed over the levels', () => {
    const ch = [[0x3000, 0x8000000000004007n]] as const;
    expect(mmuOf(x0(ch)).translate(0x5000, Access.Execute)).toEqual(pf(0x15, 0x5000));
    expect(mmuOf(x0(ch)).translate(0x5000, Access.Read)).toEqual({
      paddr: 0x5000,
      size: PageSize.Size4K,
      flags: R | W | U,
    });
  });

  it('X18: SMEP blocks supervisor fetches from user pages, SMAP supervisor data accesses unless AC', () => {
    const smep = 0x20 | 0x10_0000;
    expect(mmuOf(x0(), { cpl: 0, cr4: smep }).translate(0x5000, Access.Execute)).toEqual(pf(0x11, 0x5000));
    const smap = smep | 0x20_0000;
    expect(mmuOf(x0(), { cpl: 0, cr4: smap, rflags: 0x2 }).translate(0x5000, Access.Read)).toEqual(pf(0x01, 0x5000));
    expect(mmuOf(x0(), { cpl: 0, cr4: smap, rflags: 0x4_0002 }).translate(0x5000, Access.Read)).toMatchObject({
      paddr: 0x5000,
    });
  });

  it('X19: protection keys: AD ec 0x25, WD user 0x27, WD supervisor with WP 0x23, fetch unaffected', () => {
    const ch = [[0x4028, 0x0800000000005007n]] as const; // key 1
    const pke = 0x20 | 0x40_0000;
    expect(mmuOf(x0(ch), { cr4: pke, pkru: 0x4 }).translate(0x5000, Access.Read)).toEqual(pf(0x25, 0x5000));
    expect(mmuOf(x0(ch), { cr4: pke, pkru: 0x8 }).translate(0x5000, Access.Write)).toEqual(pf(0x27, 0x5000));
    expect(mmuOf(x0(ch), { cr4: pke, pkru: 0x8, cpl: 0 }).translate(0x5000, Access.Write)).toEqual(pf(0x23, 0x5000));
    for (const pkru of [0x4, 0x8, 0xc]) {
      expect(mmuOf(x0(ch), { cr4: pke, pkru }).translate(0x5000, Access.Execute)).toMatchObject({ paddr: 0x5000 });
    }
  });

  it('X20: LA57: 0x0100_0000_0000_0000 is non-canonical, 0x0080_0000_0000_0000 is walked', () => {
    const ram = x0([[0x9000, 0x1007n]]); // PML5[0] → the X0 PML4
    const mmu = mmuOf(ram, { cr3: 0x9000, cr4: 0x20 | 0x1000, cpl: 0 });
    expect(mmu.pagingMode).toBe('5-level');
    expect(mmu.translate(0x0100_0000_0000_0000n, Access.Read)).toEqual({ fault: { vector: 13, errorCode: 0 } });
    expect(mmu.translate(0x0080_0000_0000_0000n, Access.Read)).toEqual(pf(0x00, 0x0080_0000_0000_0000n));
    expect(mmu.faultLevel).toBe(4);
    expect(mmu.translate(0x5123, Access.Read)).toMatchObject({ paddr: 0x5123 });
    expect(ram.read64(0x9000)).toBe(0x1027n);
    // The same address is non-canonical with 4-level paging.
    expect(mmuOf(x0()).translate(0x0080_0000_0000_0000n, Access.Read)).toEqual({ fault: { vector: 13, errorCode: 0 } });
  });
});
