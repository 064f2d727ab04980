/**
 * The x86_64 paging-structure entry (Intel SDM Vol. 3A §4.5, AMD APM Vol. 2
 * §5.3/§5.4): PML5E, PML4E, PDPTE, PDE and PTE share one 64-bit format.
 *
 * @module
 */

import { GenericPTE, MappingFlags } from '@page-table/core';

/**
 * Named bits of an x86_64 entry as masks of the half that holds them: bits
 * 0..31 are masks of the low half (equal to their 64-bit value), `XD_HI` is
 * bit 63 seen as bit 31 of the high half. Names follow the Intel SDM.
 */
export const X64Bits = {
  /** P, bit 0: the entry is present (maps a page or references a table). */
  P: 0x1,
  /** R/W, bit 1: writes allowed (when clear at any level, the region is read-only). */
  RW: 0x2,
  /** U/S, bit 2: user-mode accesses allowed (when clear at any level, supervisor only). */
  US: 0x4,
  /** PWT, bit 3: page-level write-through (a PAT index bit). */
  PWT: 0x8,
  /** PCD, bit 4: page-level cache disable (a PAT index bit). */
  PCD: 0x10,
  /** A, bit 5: accessed, set by the processor. */
  A: 0x20,
  /** D, bit 6: dirty, set by the processor on a write to a leaf. */
  D: 0x40,
  /** PS, bit 7 of a PDPTE or PDE: the entry maps a 1 GiB or 2 MiB page instead of a table. */
  PS: 0x80,
  /** PAT, bit 7 of a PTE (4 KiB page): the third PAT index bit; the same position as PS. */
  PAT: 0x80,
  /** G, bit 8 of a leaf: global, kept in the TLB across CR3 writes when CR4.PGE = 1. */
  G: 0x100,
  /** PAT, bit 12 of a 1 GiB / 2 MiB leaf (the lowest address bit of a 4 KiB frame). */
  PAT_LARGE: 0x1000,
  /** XD (AMD: NX), bit 63: instruction fetches not allowed (needs EFER.NXE = 1); bit 31 of the high half. */
  XD_HI: 0x8000_0000,
} as const;

/** The physical-address field of an entry, bits 12..51 (52-bit physical addresses). */
export const X64_PHYS_ADDR_MASK = 0x000f_ffff_ffff_f000n;

// The address field as halves: frame bits 0..19 sit in low-half bits 12..31,
// frame bits 20..39 in high-half bits 0..19.
const FRAME_LO_BITS = 0xfffff;
const FRAME_HI_MASK = 0xfffff;
const TWO_POW_20 = 0x100000;

const P = X64Bits.P;
const RW = X64Bits.RW;
const US = X64Bits.US;
const PWT = X64Bits.PWT;
const PCD = X64Bits.PCD;
const PS = X64Bits.PS;
const XD_HI = X64Bits.XD_HI;

const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;

/**
 * x86_64 entry codec (upstream `X64PTE`).
 *
 * Conversions: any non-empty flag set makes a present entry, so WRITE and
 * EXECUTE imply READ (x86 has no write-only or execute-only pages); WRITE sets
 * R/W, USER sets U/S, a missing EXECUTE sets XD, DEVICE or UNCACHED set
 * PCD|PWT (PAT entry 3, UC) and read back as UNCACHED. A leaf above the last
 * level carries PS. Table links are `P|R/W|U/S`, so in tables this codec
 * writes the leaf alone decides permissions; links in adopted tables may
 * restrict them ({@link X64PTE.tableRestrictions}). A, D, G and PAT are never set.
 */
export class X64PTE extends GenericPTE {
  readonly arch = 'x86_64';

  present(lo: number, _hi: number): boolean {
    return (lo & P) !== 0;
  }

  /** P set and PS clear: a link to the next-level table (only meaningful above the last level). */
  table(lo: number, _hi: number): boolean {
    return (lo & (P | PS)) === P;
  }

  huge(lo: number, _hi: number): boolean {
    return (lo & PS) !== 0;
  }

  frame(lo: number, hi: number): number {
    return (lo >>> 12) + (hi & FRAME_HI_MASK) * TWO_POW_20;
  }

  decodeFlags(lo: number, hi: number): MappingFlags {
    if ((lo & P) === 0) return 0;
    // R/W (bit 1) is WRITE's own position; U/S (bit 2) moves up to USER (bit 3);
    // a clear XD (high bit 31) becomes EXECUTE (bit 2); PCD (bit 4) becomes UNCACHED (bit 5).
    return READ | (lo & RW) | ((lo & US) << 1) | ((~hi >>> 29) & EXECUTE) | ((lo & PCD) << 1);
  }

  encodePage(frame: number, flags: MappingFlags, huge: boolean): void {
    let lo = ((frame & FRAME_LO_BITS) << 12) | (huge ? PS : 0);
    let hi = ((frame / TWO_POW_20) >>> 0) & FRAME_HI_MASK;
    if (flags !== 0) {
      lo |= P | (flags & WRITE) | ((flags & USER) >>> 1) | (flags & (DEVICE | UNCACHED) ? PCD | PWT : 0);
      if ((flags & EXECUTE) === 0) hi |= XD_HI;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  encodeTable(frame: number): void {
    this.lo = (((frame & FRAME_LO_BITS) << 12) | P | RW | US) >>> 0;
    this.hi = ((frame / TWO_POW_20) >>> 0) & FRAME_HI_MASK;
  }

  setFrame(lo: number, hi: number, frame: number): void {
    this.lo = ((lo & 0xfff) | ((frame & FRAME_LO_BITS) << 12)) >>> 0;
    this.hi = ((hi & ~FRAME_HI_MASK) | (((frame / TWO_POW_20) >>> 0) & FRAME_HI_MASK)) >>> 0;
  }

  /**
   * What a paging-structure entry that references a table takes from every
   * page below it (SDM Vol. 3A §4.6.1, AMD APM §5.6): R/W clear removes
   * WRITE, U/S clear removes USER, XD set removes EXECUTE. Linux PTI, for
   * one, sets XD one level above user leaves. Returned as MappingFlags bits,
   * which the inherited `effectiveFlags` removes from the leaf's own.
   */
  override tableRestrictions(lo: number, hi: number): number {
    return (~lo & RW) | ((~lo & US) << 1) | ((hi >>> 29) & EXECUTE);
  }

  /** Every flag set with some access is expressible: WRITE or EXECUTE alone simply read back with READ. */
  checkFlags(_flags: MappingFlags): string | undefined {
    return undefined;
  }
}

/** The one shared x86_64 codec (4-level and 5-level paging use the same entry format). */
export const X64_PTE: X64PTE = /* @__PURE__ */ new X64PTE();
