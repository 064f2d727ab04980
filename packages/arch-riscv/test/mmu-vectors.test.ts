/** Every RISC-V test vector of MMU.md §3.7 (base table R0), through translate, translatePa and debugTranslate. */
import { Access } from '@page-table/core';
import { describe, expect, it } from 'vitest';
import { check, firstDiff, R0_SATP, r0, snapshot } from './mmu-helpers.js';

const { Read, Write, Execute } = Access;
const SUM = 1 << 18;
const MXR = 1 << 19;

describe('MMU.md §3.7 vectors (R0: Sv39, root 0x8000_0000, S-mode)', () => {
  it('R1: S load 0x5123 -> PA 0x8000_5123', () => {
    const { mmu } = r0();
    check(mmu, 0x5123, Read, { pa: 0x8000_5123 });
    const t = mmu.translate(0x5123, Read);
    expect(t).toEqual({ paddr: 0x8000_5123, size: 0x1000, flags: 3 });
  });

  it('R2: U load 0x5123 -> cause 13, stval 0x5123 (U-mode needs U)', () => {
    const { mmu } = r0({ priv: 0 });
    check(mmu, 0x5123, Read, { cause: 13 });
    expect(mmu.translate(0x5123, Read)).toEqual({ fault: { cause: 13, tval: 0x5123 } });
  });

  it('R3: S load 0x6010 -> 13 with SUM=0, PA 0x8000_6010 with SUM=1', () => {
    const { mmu } = r0();
    check(mmu, 0x6010, Read, { cause: 13 });
    mmu.mstatus = SUM;
    check(mmu, 0x6010, Read, { pa: 0x8000_6010 });
  });

  it('R4: with SUM=1, S fetch 0x6010 -> 12; U fetch -> PA', () => {
    const { mmu } = r0({ mstatus: SUM });
    check(mmu, 0x6010, Execute, { cause: 12 });
    mmu.priv = 0;
    check(mmu, 0x6010, Execute, { pa: 0x8000_6010 });
  });

  it('R5: load / store 0x7000 (W without R) -> 13 / 15', () => {
    const { mmu } = r0();
    check(mmu, 0x7000, Read, { cause: 13 });
    check(mmu, 0x7000, Write, { cause: 15 });
    check(mmu, 0x7000, Execute, { cause: 12 });
  });

  it('R6: load 0x8000 (X only) -> 13 with MXR=0, PA with MXR=1; fetch -> PA', () => {
    const { mmu } = r0();
    check(mmu, 0x8000, Read, { cause: 13 });
    check(mmu, 0x8000, Execute, { pa: 0x8000_8000 });
    mmu.mstatus = MXR;
    check(mmu, 0x8000, Read, { pa: 0x8000_8000 });
  });

  it('R7: load 0x9000 (A=0): Svade -> 13, PTE unchanged', () => {
    const { ram, mmu } = r0({ svadu: false });
    const before = snapshot(ram);
    check(mmu, 0x9000, Read, { cause: 13 });
    expect(firstDiff(snapshot(ram), before)).toBe(-1);
    expect(ram.read64(0x8000_2048)).toBe(0x2000_2407n);
  });

  it('R7: load 0x9000 (A=0): hardware A/D -> PA, L0[9] = 0x20002447', () => {
    const { ram, mmu } = r0();
    check(mmu, 0x9000, Read, { pa: 0x8000_9000 });
    expect(ram.read64(0x8000_2048)).toBe(0x2000_2447n);
  });

  it('R8: store 0xA000 (D=0): Svade -> 15, PTE unchanged', () => {
    const { ram, mmu } = r0({ svadu: false });
    check(mmu, 0xa000, Write, { cause: 15 });
    expect(ram.read64(0x8000_2050)).toBe(0x2000_2847n);
    // A load needs no update: fine under Svade.
    check(mmu, 0xa000, Read, { pa: 0x8000_a000 });
  });

  it('R8: store 0xA000 (D=0): hardware A/D -> PA, L0[10] = 0x200028C7', () => {
    const { ram, mmu } = r0();
    check(mmu, 0xa000, Write, { pa: 0x8000_a000 });
    expect(ram.read64(0x8000_2050)).toBe(0x2000_28c7n);
  });

  it('R9: load 0xB000 (pointer at level 0) -> 13', () => {
    const { mmu } = r0();
    check(mmu, 0xb000, Read, { cause: 13 });
    expect(mmu.debugTranslate(0xb000).stop).toMatch(/non-leaf entry at the last level at level 0/);
  });

  it('R10: load 0x2ABCDE -> PA 0x802A_BCDE (2M); load 0x400000 -> 13 (misaligned)', () => {
    const { mmu } = r0();
    check(mmu, 0x2a_bcde, Read, { pa: 0x802a_bcde });
    expect(mmu.translate(0x2a_bcde, Read)).toMatchObject({ size: 0x20_0000 });
    check(mmu, 0x40_0000, Read, { cause: 13 });
    expect(mmu.debugTranslate(0x40_0000).stop).toMatch(/misaligned superpage at level 1/);
  });

  it('R11: load 0x8000_1234 -> PA 0xC000_1234 (1G)', () => {
    const { mmu } = r0();
    check(mmu, 0x8000_1234, Read, { pa: 0xc000_1234 });
    expect(mmu.translate(0x8000_1234, Read)).toMatchObject({ size: 0x4000_0000 });
  });

  it.each([
    ['A', 0x2000_0441n],
    ['U', 0x2000_0411n],
    ['D', 0x2000_0481n],
  ])('R12: root[0] with %s on a pointer -> load 0x5000 gives 13', (_bit, root0) => {
    const { ram, mmu } = r0();
    ram.write64(0x8000_0000, root0);
    check(mmu, 0x5000, Read, { cause: 13 });
    expect(mmu.debugTranslate(0x5000).stop).toMatch(/non-leaf entry \(reserved\) at level 2/);
  });

  it.each([
    ['bit 54 (reserved)', 1n << 54n],
    ['bit 63 (N without Svnapot)', 1n << 63n],
    ['bit 61 (PBMT without Svpbmt)', 1n << 61n],
  ])('R13: L0[5] |= %s -> load 0x5000 gives 13', (_what, bit) => {
    const { ram, mmu } = r0();
    ram.write64(0x8000_2028, 0x2000_14c7n | bit);
    check(mmu, 0x5000, Read, { cause: 13 });
  });

  it('R14: Svpbmt on, L0[5] |= 3<<61 (PBMT=3) -> 13 per the manual (QEMU 7.2 gives the PA)', () => {
    const { ram, mmu } = r0({ svpbmt: true });
    ram.write64(0x8000_2028, 0x2000_14c7n | (3n << 61n));
    check(mmu, 0x5000, Read, { cause: 13 });
    expect(mmu.debugTranslate(0x5000).stop).toMatch(/PBMT=3/);
    // PBMT = 1 and 2 are fine with Svpbmt and show as UNCACHED / DEVICE.
    ram.write64(0x8000_2028, 0x2000_14c7n | (1n << 61n));
    expect(mmu.debugTranslate(0x5000).result).toEqual({ paddr: 0x8000_5000, size: 0x1000, flags: 3 | 32 });
    ram.write64(0x8000_2028, 0x2000_14c7n | (2n << 61n));
    expect(mmu.debugTranslate(0x5000).result).toEqual({ paddr: 0x8000_5000, size: 0x1000, flags: 3 | 16 });
  });

  it('R15: load 0x40_0000_0000 (not canonical for Sv39) -> 13, stval = VA', () => {
    const { mmu } = r0();
    check(mmu, 0x40_0000_0000, Read, { cause: 13 });
    expect(mmu.translate(0x40_0000_0000, Read)).toEqual({ fault: { cause: 13, tval: 0x40_0000_0000 } });
    check(mmu, 0x40_0000_0000, Write, { cause: 15 });
    check(mmu, 0x40_0000_0000, Execute, { cause: 12 });
  });

  it('R16: L0[5] = 0x20001443 (R A, no W): store 0x5000 -> 15, PTE unchanged with hardware A/D', () => {
    const { ram, mmu } = r0();
    ram.write64(0x8000_2028, 0x2000_1443n);
    const before = snapshot(ram);
    check(mmu, 0x5000, Write, { cause: 15 });
    expect(firstDiff(snapshot(ram), before)).toBe(-1);
    expect(ram.read64(0x8000_2028)).toBe(0x2000_1443n);
  });

  it('R17: PMP denies reading 0x8000_2000 -> load 0x5000 gives 5 (access fault)', () => {
    const deny = (pa: number) => !(pa >= 0x8000_2000 && pa < 0x8000_3000);
    const { mmu } = r0({ pmp: deny });
    check(mmu, 0x5000, Read, { cause: 5 });
    check(mmu, 0x5000, Write, { cause: 7 });
    check(mmu, 0x5000, Execute, { cause: 1 });
    expect(mmu.debugTranslate(0x5000).stop).toMatch(
      /PMP\/PMA denies reading the page-table entry at level 0 \(entry 0x80002028\)/,
    );
  });

  it('R18: Sv48 (MODE 9, extra root level): load 0x0000_8000_0000_0000 -> 13', () => {
    const { ram, mmu } = r0();
    ram.write64(0x8000_3000, 0x2000_0001n); // new root[0] -> the Sv39 root as level 2
    mmu.satp = (9n << 60n) | 0x8_0003n;
    expect(mmu.satp).toBe((9n << 60n) | 0x8_0003n);
    check(mmu, 0x8000_0000_0000, Read, { cause: 13 });
    // The rest of R0 is reachable one level down.
    check(mmu, 0x5123, Read, { pa: 0x8000_5123 });
    check(mmu, 0x8000_1234, Read, { pa: 0xc000_1234 });
    expect(mmu.debugTranslate(0x5123).steps.map((s) => s.level)).toEqual([3, 2, 1, 0]);
    mmu.satp = R0_SATP;
    expect(mmu.satp).toBe(R0_SATP);
  });
});
