/**
 * ARMv7-A short-descriptor translation table entries (Arm ARM B3.5.1,
 * "Short-descriptor translation table format descriptors"): 4-byte entries,
 * so an entry's high half is always 0.
 *
 * - First level (4096 entries, indexed by VA[31:20]): bits[1:0] `00` fault,
 *   `01` a link to a second-level table (1 KiB aligned), `1x` a 1 MiB
 *   section, or with bit 18 set a 16 MiB supersection whose PA[39:32] sits in
 *   the extended base address bits [23:20] and [8:5]. With the PXN extension
 *   bit 0 of a section is PXN, so `11` is a section too.
 * - Second level (256 entries, indexed by VA[19:12]): `00` fault, `01` a
 *   64 KiB large page, `1x` a 4 KiB small page (bit 0 is its XN).
 *
 * Frame numbers are PA / 4096; a second-level table's 1 KiB-aligned address
 * gives a fractional frame (0.25, 0.5, 0.75 steps).
 *
 * @module
 */

import { GenericPTE, MappingFlags } from '@page-table/core';
import { apFlags, apForFlags, texcbFlags, texcbForFlags } from './access-permissions.js';

/** First-level descriptor bits (Arm ARM B3.5.1, "Short-descriptor first-level descriptor formats"). */
export const ShortL1 = {
  /** Bits [1:0]: the descriptor type. */
  TYPE: 0b11,
  /** Type `01`: page table. */
  PAGE_TABLE: 0b01,
  /** Type `10`: section or supersection (`11` with PXN = 1 where PXN is implemented). */
  SECTION: 0b10,
  /** Bit 0 of a section or supersection: PXN, privileged execute-never. */
  PXN: 1 << 0,
  /** Bit 2 of a page-table descriptor: PXN for every page of the table. */
  TABLE_PXN: 1 << 2,
  /** Bit 3 of a page-table descriptor: NS, the table is in Non-secure memory. */
  TABLE_NS: 1 << 3,
  /** Bit 2 of a section: B, with C and TEX the memory type. */
  B: 1 << 2,
  /** Bit 3 of a section: C. */
  C: 1 << 3,
  /** Bit 4 of a section: XN, execute-never. */
  XN: 1 << 4,
  /** Bits [8:5]: the domain (page tables and sections); PA[39:36] in a supersection. */
  DOMAIN: 0xf << 5,
  /** Bits [11:10]: AP[1:0]. */
  AP10: 0b11 << 10,
  /** Bits [14:12]: TEX[2:0]. */
  TEX: 0b111 << 12,
  /** Bit 15: AP[2]. */
  AP2: 1 << 15,
  /** Bit 16: S, shareable. */
  S: 1 << 16,
  /** Bit 17: nG, not global (the TLB entry is tagged with the ASID). */
  NG: 1 << 17,
  /** Bit 18 of a section descriptor: a supersection. */
  SUPERSECTION: 1 << 18,
  /** Bit 19: NS, the section's PA is Non-secure. */
  NS: 1 << 19,
  /** Bits [31:10]: a second-level table's PA. */
  TABLE_ADDR: 0xffff_fc00,
  /** Bits [31:20]: a section's PA[31:20]. */
  SECTION_ADDR: 0xfff0_0000,
  /** Bits [31:24]: a supersection's PA[31:24]. */
  SUPERSECTION_ADDR: 0xff00_0000,
  /** Bits [23:20] of a supersection: PA[35:32] (extended base address). */
  SUPERSECTION_PA35_32: 0xf << 20,
} as const;

/** Second-level descriptor bits (Arm ARM B3.5.1, "Short-descriptor second-level descriptor formats"). */
export const ShortL2 = {
  /** Bits [1:0]: the descriptor type. */
  TYPE: 0b11,
  /** Type `01`: large page (64 KiB). */
  LARGE_PAGE: 0b01,
  /** Type `1x`: small page (4 KiB); bit 0 is then XN. */
  SMALL_PAGE: 0b10,
  /** Bit 0 of a small page: XN. */
  SMALL_XN: 1 << 0,
  /** Bit 2: B. */
  B: 1 << 2,
  /** Bit 3: C. */
  C: 1 << 3,
  /** Bits [5:4]: AP[1:0]. */
  AP10: 0b11 << 4,
  /** Bits [8:6] of a small page: TEX[2:0]. */
  SMALL_TEX: 0b111 << 6,
  /** Bit 9: AP[2]. */
  AP2: 1 << 9,
  /** Bit 10: S. */
  S: 1 << 10,
  /** Bit 11: nG. */
  NG: 1 << 11,
  /** Bits [14:12] of a large page: TEX[2:0]. */
  LARGE_TEX: 0b111 << 12,
  /** Bit 15 of a large page: XN. */
  LARGE_XN: 1 << 15,
  /** Bits [31:16]: a large page's PA[31:16]. */
  LARGE_ADDR: 0xffff_0000,
  /** Bits [31:12]: a small page's PA[31:12]. */
  SMALL_ADDR: 0xffff_f000,
} as const;

/** Options of the short-descriptor codecs. */
export interface ArmShortPTEOptions {
  /**
   * The implementation has the PXN extension (always with LPAE): user leaves
   * get PXN = 1, as the AArch64 codec writes them, and kernel leaves without
   * EXECUTE too. Default false: PXN is never written (bits[1:0] = `11` is a
   * translation fault on cores without it).
   */
  readonly pxn?: boolean;
  /** Domain (0..15) written in page-table links and sections. Default 0. */
  readonly domain?: number;
}

// PXN (when the codec writes it): for user leaves and for non-executable ones.
function pxnFor(flags: MappingFlags, pxn: boolean): boolean {
  return pxn && ((flags & MappingFlags.EXECUTE) === 0 || (flags & MappingFlags.USER) !== 0);
}

// EXECUTE as the codecs read it: PL0 execution for user leaves (XN), PL1 execution for the others (XN and PXN).
function execFlag(f: MappingFlags, xn: boolean, pxn: boolean): MappingFlags {
  if (xn || (f & MappingFlags.READ) === 0) return 0;
  return f & MappingFlags.USER || !pxn ? MappingFlags.EXECUTE : 0;
}

// Bits written with a normal-memory type: S = 1 (shareable), as the AArch64 codec writes inner-shareable.
function shareable(flags: MappingFlags): boolean {
  return (flags & MappingFlags.DEVICE) === 0;
}

function checkShort(flags: MappingFlags): string | undefined {
  return flags & MappingFlags.READ
    ? undefined
    : 'armv7 descriptors cannot grant WRITE or EXECUTE without READ (add READ)';
}

function checkDomain(domain: number): number {
  if (!Number.isInteger(domain) || domain < 0 || domain > 15) {
    throw new RangeError(`armv7: domain ${String(domain)} is outside 0..15`);
  }
  return domain;
}

/**
 * The first-level codec: page-table links, 1 MiB sections and (through
 * {@link encodeSupersection}) 16 MiB supersections. Every leaf at this level
 * is a block, so {@link encodePage} writes a section whatever `huge` says.
 * Flags follow AP[2:0] with AP[0] = 1 (see `apForFlags`) and TEX remap off.
 */
export class ArmShortL1PTE extends GenericPTE {
  readonly arch = 'armv7';
  /** Whether PXN is written (see {@link ArmShortPTEOptions.pxn}). */
  readonly pxn: boolean;
  /** The domain written in links and sections. */
  readonly domain: number;

  /** A codec with `options` (throws `RangeError` for a domain outside 0..15). */
  constructor(options: ArmShortPTEOptions = {}) {
    super();
    this.pxn = options.pxn === true;
    this.domain = checkDomain(options.domain ?? 0);
  }

  /** Bits[1:0] not `00`. */
  present(lo: number, _hi: number): boolean {
    return (lo & 3) !== 0;
  }

  /** Type `01`: a link to a second-level table. */
  table(lo: number, _hi: number): boolean {
    return (lo & 3) === 1;
  }

  /** Type `1x`: a section or supersection. */
  huge(lo: number, _hi: number): boolean {
    return (lo & 2) !== 0;
  }

  /** Whether a section descriptor is a supersection (bit 18). */
  supersection(lo: number): boolean {
    return (lo & 2) !== 0 && (lo & ShortL1.SUPERSECTION) !== 0;
  }

  /** Bytes a leaf maps: 1 MiB for a section, 16 MiB for a supersection, 0 otherwise. */
  leafSize(lo: number): number {
    return (lo & 2) === 0 ? 0 : lo & ShortL1.SUPERSECTION ? 0x100_0000 : 0x10_0000;
  }

  /** The address as a frame: a table's (fractional when not 4 KiB aligned), a section's, or a supersection's with PA[39:32]; 0 for a fault entry. */
  frame(lo: number, _hi: number): number {
    const t = lo & 3;
    if (t === 0) return 0;
    if (t === 1) return ((lo & ShortL1.TABLE_ADDR) >>> 0) / 4096;
    if ((lo & ShortL1.SUPERSECTION) === 0) return (lo >>> 20) * 256;
    return (lo >>> 24) * 4096 + ((lo >>> 20) & 15) * 0x10_0000 + ((lo >>> 5) & 15) * 0x100_0000;
  }

  /** A section's or supersection's flags (see the class); 0 for fault entries and links. */
  decodeFlags(lo: number, _hi: number): MappingFlags {
    if ((lo & 2) === 0) return 0;
    const f = apFlags(((lo >>> 10) & 3) | ((lo >>> 13) & 4));
    const mem = texcbFlags(((lo >>> 10) & 0b11100) | ((lo >>> 2) & 3));
    return f | execFlag(f, (lo & ShortL1.XN) !== 0, (lo & ShortL1.PXN) !== 0) | mem;
  }

  /** A 1 MiB section at `frame` (aligned down to 1 MiB) in {@link domain}. */
  encodePage(frame: number, flags: MappingFlags, _huge: boolean): void {
    this.lo = (this.leafBits(flags) | (this.domain << 5) | ((frame >>> 8) << 20)) >>> 0;
    this.hi = 0;
  }

  /** A 16 MiB supersection at `frame` (aligned down to 16 MiB; PA up to 2^40) with `flags`, in domain 0. */
  encodeSupersection(frame: number, flags: MappingFlags): void {
    const pa3932 = Math.floor(frame / 0x10_0000) & 0xff;
    this.lo = (this.leafBits(flags) | ShortL1.SUPERSECTION | this.superAddr(frame, pa3932)) >>> 0;
    this.hi = 0;
  }

  /** A link to the second-level table at `frame` (PA = frame × 4096, 1 KiB aligned) in {@link domain}. */
  encodeTable(frame: number): void {
    this.lo = ((Math.round(frame * 4096) & ShortL1.TABLE_ADDR) | (this.domain << 5) | ShortL1.PAGE_TABLE) >>> 0;
    this.hi = 0;
  }

  /** Replaces the address field the entry's type has, keeping every other bit. */
  setFrame(lo: number, _hi: number, frame: number): void {
    const t = lo & 3;
    if (t === 1) this.lo = ((lo & ~ShortL1.TABLE_ADDR) | (Math.round(frame * 4096) & ShortL1.TABLE_ADDR)) >>> 0;
    else if (t !== 0 && (lo & ShortL1.SUPERSECTION) !== 0) {
      const keep = lo & ~(ShortL1.SUPERSECTION_ADDR | ShortL1.SUPERSECTION_PA35_32 | ShortL1.DOMAIN);
      this.lo = (keep | this.superAddr(frame, Math.floor(frame / 0x10_0000) & 0xff)) >>> 0;
    } else this.lo = ((lo & ~ShortL1.SECTION_ADDR) | ((frame >>> 8) << 20)) >>> 0;
    this.hi = 0;
  }

  /** A page-table link's PXN bit (bit 2), the only permission a link carries (0 without the PXN extension). */
  override tableRestrictions(lo: number, _hi: number): number {
    return (lo & 3) === 1 ? lo & ShortL1.TABLE_PXN : 0;
  }

  /** READ is needed: there is no write-only or execute-only AP encoding. */
  checkFlags(flags: MappingFlags): string | undefined {
    return checkShort(flags);
  }

  private leafBits(flags: MappingFlags): number {
    const ap = apForFlags(flags);
    const texcb = texcbForFlags(flags);
    return (
      ShortL1.SECTION |
      (pxnFor(flags, this.pxn) ? ShortL1.PXN : 0) |
      (flags & MappingFlags.EXECUTE ? 0 : ShortL1.XN) |
      ((texcb & 3) << 2) |
      ((texcb >>> 2) << 12) |
      ((ap & 3) << 10) |
      (ap & 4 ? ShortL1.AP2 : 0) |
      (shareable(flags) ? ShortL1.S : 0)
    );
  }

  private superAddr(frame: number, pa3932: number): number {
    return (((frame >>> 12) & 0xff) << 24) | ((pa3932 & 15) << 20) | ((pa3932 >>> 4) << 5);
  }
}

/**
 * The second-level codec: 4 KiB small pages ({@link encodePage} with `huge`
 * false) and 64 KiB large pages (`huge` true). There are no links at this
 * level. Flags as for {@link ArmShortL1PTE}; a link's PXN arrives through
 * {@link effectiveFlags}.
 */
export class ArmShortL2PTE extends GenericPTE {
  readonly arch = 'armv7';

  /** Bits[1:0] not `00`. */
  present(lo: number, _hi: number): boolean {
    return (lo & 3) !== 0;
  }

  /** A small page (type `1x`). */
  override page(lo: number, _hi: number): boolean {
    return (lo & 2) !== 0;
  }

  /** Never: second-level entries are all leaves. */
  table(_lo: number, _hi: number): boolean {
    return false;
  }

  /** A large page (type `01`). */
  huge(lo: number, _hi: number): boolean {
    return (lo & 3) === 1;
  }

  /** Bytes a leaf maps: 4 KiB small, 64 KiB large, 0 for a fault entry. */
  leafSize(lo: number): number {
    return (lo & 2) !== 0 ? 0x1000 : (lo & 3) === 1 ? 0x1_0000 : 0;
  }

  /** PA[31:12] (small) or PA[31:16] (large) as a frame; 0 for a fault entry. */
  frame(lo: number, _hi: number): number {
    if ((lo & 2) !== 0) return lo >>> 12;
    return (lo & 3) === 1 ? (lo >>> 16) * 16 : 0;
  }

  /** A page's flags (see the class); 0 for a fault entry. */
  decodeFlags(lo: number, _hi: number): MappingFlags {
    return this.flagsWith(lo, false);
  }

  /** A small page (`huge` false) or a large page (`huge` true, `frame` aligned down to 64 KiB). */
  encodePage(frame: number, flags: MappingFlags, huge: boolean): void {
    const ap = apForFlags(flags);
    const texcb = texcbForFlags(flags);
    const noExec = (flags & MappingFlags.EXECUTE) === 0;
    let lo = ((ap & 3) << 4) | (ap & 4 ? ShortL2.AP2 : 0) | ((texcb & 3) << 2) | (shareable(flags) ? ShortL2.S : 0);
    if (huge)
      lo |= ShortL2.LARGE_PAGE | ((texcb >>> 2) << 12) | (noExec ? ShortL2.LARGE_XN : 0) | ((frame >>> 4) << 16);
    else lo |= ShortL2.SMALL_PAGE | ((texcb >>> 2) << 6) | (noExec ? ShortL2.SMALL_XN : 0) | (frame << 12);
    this.lo = lo >>> 0;
    this.hi = 0;
  }

  /** There is no third level: throws. */
  encodeTable(_frame: number): void {
    throw new RangeError('armv7: a second-level table holds no table links');
  }

  /** Replaces PA[31:12] (small) or PA[31:16] (large), keeping every other bit. */
  setFrame(lo: number, _hi: number, frame: number): void {
    if ((lo & 3) === 1) this.lo = ((lo & ~ShortL2.LARGE_ADDR) | ((frame >>> 4) << 16)) >>> 0;
    else this.lo = ((lo & ~ShortL2.SMALL_ADDR) | (frame << 12)) >>> 0;
    this.hi = 0;
  }

  /** The leaf's flags under a link whose restrictions are `restrictions` (its PXN bit, see {@link ArmShortL1PTE.tableRestrictions}). */
  override effectiveFlags(lo: number, _hi: number, restrictions: number): MappingFlags {
    return this.flagsWith(lo, (restrictions & ShortL1.TABLE_PXN) !== 0);
  }

  /** READ is needed, as at the first level. */
  checkFlags(flags: MappingFlags): string | undefined {
    return checkShort(flags);
  }

  private flagsWith(lo: number, pxn: boolean): MappingFlags {
    const t = lo & 3;
    if (t === 0) return 0;
    const f = apFlags(((lo >>> 4) & 3) | ((lo >>> 7) & 4));
    const large = t === 1;
    const tex = large ? (lo >>> 12) & 7 : (lo >>> 6) & 7;
    const xn = large ? (lo & ShortL2.LARGE_XN) !== 0 : (lo & ShortL2.SMALL_XN) !== 0;
    return f | execFlag(f, xn, pxn) | texcbFlags((tex << 2) | ((lo >>> 2) & 3));
  }
}
