/**
 * Every LoongArch test vector of MMU.md §5.7 (L1–L15) on the base table L0,
 * with the manual's answer; where QEMU 7.2 answers otherwise the comment
 * says so (the README lists the differences).
 */

import { Access, MappingFlags, PageSize } from '@page-table/core';
import { describe, expect, it } from 'vitest';
import { estatWithFault, LA64Ecode, tlbehiVppn } from '../src/index.js';
import { l0, linuxRefill, pg } from './mmu-helpers.js';

const { Read, Write, Execute } = Access;
const { READ: R, WRITE: W, EXECUTE: X, USER: U } = MappingFlags;

describe('MMU.md §5.7 vectors (base L0)', () => {
  it('L1: an empty TLB raises TLBR first; the refill loads PT[4]/PT[5] as one PS=12 pair; then PA 0x40123', () => {
    const { mmu } = l0({ ptw: false });
    const r = mmu.translate(0x4123, Read);
    expect(r.fault).toEqual({ ecode: LA64Ecode.PIL, esubcode: 0, badv: 0x4123, refill: true, name: 'TLBR' });
    if (!r.fault) throw new Error('expected a fault');
    expect(tlbehiVppn(r.fault.badv) >> 13n).toBe(0x2n); // TLBREHI.VPPN
    expect(estatWithFault(0x0000_1234, r.fault)).toBe(0x1234); // ESTAT unchanged by a refill
    expect(mmu.stats).toEqual({ hits: 0, misses: 1, faults: 1 });
    const index = linuxRefill(mmu, 0x4123);
    expect(mmu.tlbrd(index)).toEqual({
      index,
      ehi: 0x4000,
      ps: 12,
      asid: 0,
      g: false,
      elo0: 0x4_0013n, // V D MAT1 + PPN (P and W are not TLB fields)
      elo1: 0x5_0011n,
    });
    expect(mmu.translate(0x4123, Read)).toEqual({ paddr: 0x40123, size: PageSize.Size4K, flags: R | W | X });
    expect(mmu.stats).toEqual({ hits: 1, misses: 1, faults: 1 });
  });

  it('L1 with ptw: the MMU refills by itself (one miss), filling the same pair', () => {
    const { mmu } = l0();
    expect(mmu.translate(0x4123, Read)).toEqual({ paddr: 0x40123, size: PageSize.Size4K, flags: R | W | X });
    expect(mmu.stats).toEqual({ hits: 0, misses: 1, faults: 0 });
    const i = mmu.tlbsrch(0x4000);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(mmu.tlbrd(i)).toMatchObject({ ehi: 0x4000, ps: 12, elo0: 0x4_0013n, elo1: 0x5_0011n });
    expect(mmu.tlbsrch(0x5000)).toBe(i);
  });

  it('L2: D is the write enable: a store to 0x5000 raises PME; a load translates', () => {
    const { mmu } = l0();
    expect(mmu.translate(0x5000, Write)).toEqual({
      fault: { ecode: LA64Ecode.PME, esubcode: 0, badv: 0x5000, name: 'PME' },
    });
    expect(mmu.translate(0x5000, Read)).toEqual({ paddr: 0x50000, size: PageSize.Size4K, flags: R | X });
  });

  it('L3: a V=0 half is cached: load / store / fetch 0x6000 raise PIL / PIS / PIF, until invalidated', () => {
    const { ram, mmu } = l0();
    expect(mmu.translate(0x6000, Read).fault?.name).toBe('PIL');
    expect(mmu.translate(0x6000, Write).fault).toEqual({ ecode: 2, esubcode: 0, badv: 0x6000, name: 'PIS' });
    expect(mmu.translate(0x6000, Execute).fault).toEqual({ ecode: 3, esubcode: 0, badv: 0x6000, name: 'PIF' });
    expect(mmu.stats.misses).toBe(1); // one refill, then the cached V=0 half
    ram.write64(0x13030, 0x6_0193n); // the guest makes PT[6] valid...
    expect(mmu.translate(0x6000, Read).fault?.name).toBe('PIL'); // ...the stale V=0 entry still answers
    expect(mmu.invtlb(5, 0, 0x6000)).toBe(true); // invtlb 5, asid, va
    expect(mmu.translate(0x6000, Read)).toMatchObject({ paddr: 0x60000 });
  });

  it('L4: at PLV3 a load of the PLV0 page 0x4000 raises PPI', () => {
    const { mmu } = l0({ crmd: pg(3) });
    expect(mmu.translate(0x4000, Read).fault).toEqual({ ecode: LA64Ecode.PPI, esubcode: 0, badv: 0x4000, name: 'PPI' });
  });

  it('L5: RPLV=0: a PLV3 page is reachable from PLV0 and PLV3', () => {
    const { mmu } = l0();
    expect(mmu.translate(0x7000, Read)).toEqual({ paddr: 0x70000, size: PageSize.Size4K, flags: R | W | X | U });
    mmu.crmd = pg(3); // privilege is re-checked on the cached entry
    expect(mmu.translate(0x7000, Read)).toMatchObject({ paddr: 0x70000 });
  });

  it('L6: RPLV=1: the PLV3 page 0xA000 is reachable from PLV3 only (QEMU 7.2: PLV0 too, LDPTE drops bit 63)', () => {
    const { mmu } = l0();
    expect(mmu.translate(0xa000, Read).fault?.name).toBe('PPI');
    mmu.crmd = pg(3);
    expect(mmu.translate(0xa000, Read)).toMatchObject({ paddr: 0xa0000 });
  });

  it('L7: NR and NX: load 0x8000 raises PNR, fetch 0x9000 PNX (QEMU 7.2: both succeed)', () => {
    const { mmu } = l0();
    expect(mmu.translate(0x8000, Read).fault).toEqual({ ecode: LA64Ecode.PNR, esubcode: 0, badv: 0x8000, name: 'PNR' });
    expect(mmu.translate(0x9000, Execute).fault).toEqual({
      ecode: LA64Ecode.PNX,
      esubcode: 0,
      badv: 0x9000,
      name: 'PNX',
    });
    expect(mmu.translate(0x8000, Execute)).toEqual({ paddr: 0x80000, size: PageSize.Size4K, flags: W | X });
    expect(mmu.translate(0x9000, Read)).toEqual({ paddr: 0x90000, size: PageSize.Size4K, flags: R | W });
  });

  it('L8: an NR page of PLV0 written by TLBWR, loaded at PLV3: PPI before PNR (QEMU 7.2: PNR)', () => {
    const { mmu } = l0({ crmd: pg(3), ptw: false });
    // STLB index = way × 256 + set, and the set of VA 0x8000 (PS 12) is VA[20:13] = 4.
    mmu.tlbwr(4, { ehi: 0x8000, elo0: 0x2000_0000_0008_0193n, elo1: 0x4000_0000_0009_0193n, ps: 12 });
    expect(mmu.tlbrd(4)?.elo0).toBe(0x2000_0000_0008_0013n);
    expect(mmu.tlbsrch(0x9fff)).toBe(4);
    expect(mmu.translate(0x8000, Read).fault?.name).toBe('PPI');
    // The same through a refill of the tables.
    const { mmu: walked } = l0({ crmd: pg(3) });
    expect(walked.translate(0x8000, Read).fault?.name).toBe('PPI');
  });

  it('L9: a 2M huge entry is split into one PS=20 pair: halves 0x200000 and 0x300000', () => {
    const { mmu } = l0();
    expect(mmu.translate(0x2a_bcde, Read)).toEqual({ paddr: 0x2a_bcde, size: PageSize.Size2M, flags: R | W | X });
    expect(mmu.translate(0x3a_bcde, Read)).toEqual({ paddr: 0x3a_bcde, size: PageSize.Size2M, flags: R | W | X });
    expect(mmu.stats.misses).toBe(1);
    const i = mmu.tlbsrch(0x20_0000);
    expect(mmu.tlbsrch(0x3f_f000)).toBe(i);
    expect(mmu.tlbrd(i)).toMatchObject({ ehi: 0x20_0000, ps: 20, g: false, elo0: 0x20_0013n, elo1: 0x30_0013n });
    expect(i).toBeGreaterThanOrEqual(2048); // PS 20 ≠ STLBPS 12: the MTLB
  });

  it('L10: HGLOBAL (bit 12) of a huge entry becomes G and is no address bit (QEMU 7.2: PA 0x201000)', () => {
    const { ram, mmu } = l0();
    ram.write64(0x12008, 0x0000_0000_0020_11d3n);
    expect(mmu.translate(0x20_0000, Read)).toMatchObject({ paddr: 0x20_0000 });
    expect(mmu.tlbrd(mmu.tlbsrch(0x20_0000))).toMatchObject({ g: true, elo0: 0x20_0053n, elo1: 0x30_0053n });
    mmu.asid = 5; // global: any ASID matches
    expect(mmu.translate(0x20_0abc, Read)).toMatchObject({ paddr: 0x20_0abc });
    expect(mmu.stats.misses).toBe(1);
  });

  it('L11: 0x0000_8000_0000_0000 is not a legal VA: ADEM (QEMU 7.2 checks bits 63:48 only and walks)', () => {
    const { mmu } = l0();
    expect(mmu.translate(0x8000_0000_0000, Read).fault).toEqual({
      ecode: LA64Ecode.ADE,
      esubcode: 1,
      badv: 0x8000_0000_0000,
      name: 'ADEM',
    });
    expect(mmu.translate(0xffff_8000_0000_0000n, Write).fault?.name).not.toBe('ADEM'); // legal: bits 63:47 all 1
    expect(mmu.stats.misses).toBe(1);
  });

  it('L12: DMW0 = 0x9000000000000011 serves PLV0 only; at PLV3 the VA is illegal: ADEM', () => {
    const { mmu } = l0({ dmw0: 0x9000_0000_0000_0011n });
    expect(mmu.translate(0x9000_0000_0004_0123n, Read)).toEqual({
      paddr: 0x40123,
      size: 2 ** 48,
      flags: R | W | X,
    });
    mmu.crmd = pg(3);
    expect(mmu.translate(0x9000_0000_0004_0123n, Read).fault).toEqual({
      ecode: 8,
      esubcode: 1,
      badv: 0x9000_0000_0004_0123n,
      name: 'ADEM',
    });
    expect(mmu.stats).toEqual({ hits: 0, misses: 0, faults: 1 }); // windows are not TLB traffic
  });

  it('L13: CRMD.DA=1, PG=0: PA = VA[47:0]', () => {
    const { mmu } = l0({ crmd: 0x8 });
    expect(mmu.translate(0x9000_0000_0004_0123n, Read)).toMatchObject({ paddr: 0x4_0123 });
    expect(mmu.translatePaHalves(0x9000_0000, 0x4_0123, Write)).toBe(0x4_0123);
  });

  it('L14: a 1G huge entry at Dir2 is split into one PS=29 pair (QEMU 7.2: PS 20 pairs, PA 0x4005_6789)', () => {
    const { ram, mmu } = l0();
    ram.write64(0x11008, 0x0000_0000_4000_01d3n);
    expect(mmu.translate(0x4345_6789, Read)).toEqual({ paddr: 0x4345_6789, size: PageSize.Size1G, flags: R | W | X });
    expect(mmu.tlbrd(mmu.tlbsrch(0x4000_0000))).toMatchObject({ ps: 29, elo0: 0x4000_0013n, elo1: 0x6000_0013n });
    expect(mmu.translate(0x7fff_ffff, Read)).toMatchObject({ paddr: 0x7fff_ffff });
    expect(mmu.stats.misses).toBe(1);
  });

  it('L15: a fetch at 0x0001_0000_0000_0000 raises ADEF with BADV = PC, at any PLV', () => {
    for (const plv of [0, 3]) {
      const { mmu } = l0({ crmd: pg(plv) });
      const expected = { ecode: 8, esubcode: 0, badv: 0x1_0000_0000_0000, name: 'ADEF' };
      expect(mmu.translate(0x1_0000_0000_0000, Execute).fault).toEqual(expected);
      // Per the manual 0xFFFF_0000_0000_0000 (bit 47 clear) is illegal too; QEMU 7.2 accepts it.
      expect(mmu.translate(0xffff_0000_0000_0000n, Execute).fault?.name).toBe('ADEF');
    }
  });
});
