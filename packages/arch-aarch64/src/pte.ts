/**
 * VMSAv8-64 stage-1 descriptors with the 4 KiB granule (Arm ARM D8.3,
 * "Translation table descriptor formats").
 *
 * Bits [1:0] say what a descriptor is: `x0` invalid, `01` a block (level 1:
 * 1 GiB, level 2: 2 MiB), `11` a table link (levels 0..2) or a page (level 3).
 * The output address sits in bits 47..12; the leaf attributes in bits 11..2
 * (low word) and 54..52 (high word).
 *
 * @module
 */

import { GenericPTE, MappingFlags } from '@page-table/core';
import { type A64AttrIndex, DEFAULT_ATTR_INDEX } from './registers.js';

/**
 * Descriptor bits as 64-bit masks, named as in page_table_entry's
 * `DescriptorAttr` (the Arm ARM name follows in each comment). Use them with
 * the bigint methods (`newPage`, `flags`, …) or to build entries by hand.
 */
export const DescriptorAttr = {
  /** Bit 0: the descriptor is valid. */
  VALID: 1n << 0n,
  /** Bit 1 (Arm: "table or page"): set for a table link or a level-3 page, clear for a block. */
  NON_BLOCK: 1n << 1n,
  /** Bits 4..2, AttrIndx[2:0]: which MAIR_ELx slot gives the memory type. */
  ATTR_INDX: 0b111n << 2n,
  /** Bit 5, NS: non-secure output address (only meaningful in Secure state). */
  NS: 1n << 5n,
  /** Bit 6, AP[1]: EL0 may access (EL1&0 regime). */
  AP_EL0: 1n << 6n,
  /** Bit 7, AP[2]: read-only. */
  AP_RO: 1n << 7n,
  /** Bit 8, SH[0]: with {@link DescriptorAttr.SHAREABLE}, SH = 0b11 inner shareable. */
  INNER: 1n << 8n,
  /** Bit 9, SH[1]: shareable (outer unless {@link DescriptorAttr.INNER} is also set). */
  SHAREABLE: 1n << 9n,
  /** Bits 9..8, SH[1:0]: the whole shareability field. */
  SH: 0b11n << 8n,
  /** Bit 10, AF: access flag; a leaf with AF clear faults on first use unless TCR_ELx.HA. */
  AF: 1n << 10n,
  /** Bit 11, nG: not global, the TLB entry is tagged with the current ASID. */
  NG: 1n << 11n,
  /** Bits 47..12: the output address (or next-level table address). */
  ADDR: 0x0000_ffff_ffff_f000n,
  /** Bit 52, Contiguous: hint that 16 adjacent entries map one contiguous range. */
  CONTIGUOUS: 1n << 52n,
  /** Bit 53, PXN: privileged execute-never (EL1 may not execute). */
  PXN: 1n << 53n,
  /** Bit 54, UXN (XN at EL2/EL3): unprivileged execute-never. */
  UXN: 1n << 54n,
  /** Bit 59, PXNTable (table descriptors): nothing below is EL1-executable. */
  PXN_TABLE: 1n << 59n,
  /** Bit 60, UXNTable/XNTable (table descriptors): nothing below is EL0-executable. */
  XN_TABLE: 1n << 60n,
  /** Bit 61, APTable[0] (table descriptors): nothing below is EL0-accessible. */
  AP_NO_EL0_TABLE: 1n << 61n,
  /** Bit 62, APTable[1] (table descriptors): nothing below is writable. */
  AP_NO_WRITE_TABLE: 1n << 62n,
  /** Bit 63, NSTable (table descriptors): the tables below are in Non-secure memory. */
  NS_TABLE: 1n << 63n,
} as const;

// The same bits split into the entry's halves, for the hot path.
// Low word (bits 0..31).
const VALID = 1 << 0;
const NON_BLOCK = 1 << 1;
const AP_EL0 = 1 << 6;
const AP_RO = 1 << 7;
const SH_INNER = 0b11 << 8;
const AF = 1 << 10;
const LO_FLAGS = 0xfff;
// High word (bits 32..63).
const PXN = 1 << (53 - 32);
const UXN = 1 << (54 - 32);
const HI_ADDR = 0xffff;
// Hierarchical attributes of table descriptors, in the high word.
const PXN_TABLE = 1 << (59 - 32);
const XN_TABLE = 1 << (60 - 32);
const AP_NO_EL0_TABLE = 1 << (61 - 32);
const AP_NO_WRITE_TABLE = 1 << (62 - 32);

/** 2^20: the frame-number bits that fit the low word (bits 31..12). */
const LO_FRAMES = 0x10_0000;

/**
 * The translation regime the descriptors are for:
 * - `el1`: EL1&0 (kernel and user; also EL2&0 with HCR_EL2.E2H = 1, which uses
 *   the same format). USER sets AP[1]; PXN and UXN are both used.
 * - `el2`: the EL2 regime with HCR_EL2.E2H = 0 (one privilege level): bit 54
 *   is XN, AP[1] and PXN are never set and USER is ignored (page_table_entry's
 *   `arm-el2` feature).
 */
export type A64Regime = 'el1' | 'el2';

/** Options of an {@link A64PTE} codec; each distinct set is one codec instance. */
export interface A64PTEOptions {
  /** Translation regime, default `el1`. */
  readonly regime?: A64Regime;
  /** MAIR slots for each memory type, default {@link DEFAULT_ATTR_INDEX} (matching `MAIR_VALUE`). */
  readonly attrIndex?: A64AttrIndex;
}

/**
 * The AArch64 stage-1 entry codec (4 KiB granule), bit-exact with
 * page_table_entry 0.6.1's `A64PTE` for every leaf and table it writes.
 *
 * Two things differ on purpose: an invalid descriptor is never a block
 * ({@link huge} needs VALID, where upstream says "huge" for any entry with
 * bit 1 clear, including the all-zero one), and {@link checkFlags} refuses
 * leaves without READ, which upstream writes as invalid descriptors.
 */
export class A64PTE extends GenericPTE {
  readonly arch = 'aarch64';
  /** The translation regime these descriptors are for. */
  readonly regime: A64Regime;
  /** The MAIR slots used for each memory type. */
  readonly attrIndex: A64AttrIndex;

  // Low-word attribute bits per memory type: AttrIndx, plus SH = inner
  // shareable for Normal memory (Device memory is always outer shareable, SH 0).
  private readonly devAttr: number;
  private readonly normalAttr: number;
  private readonly ncAttr: number;
  private readonly devIdx: number;
  private readonly ncIdx: number;
  private readonly el2: boolean;
  private readonly tableBits: number;

  constructor(options: A64PTEOptions = {}) {
    super();
    const regime = options.regime ?? 'el1';
    if (regime !== 'el1' && regime !== 'el2') throw new RangeError(`aarch64: unknown regime ${String(regime)}`);
    const idx = options.attrIndex ?? DEFAULT_ATTR_INDEX;
    checkAttrIndex(idx);
    this.regime = regime;
    this.attrIndex = Object.freeze({ device: idx.device, normal: idx.normal, nonCacheable: idx.nonCacheable });
    this.el2 = regime === 'el2';
    // One privilege level at EL2: APTable[0] and PXNTable are RES0 there, bit 60 is XNTable.
    this.tableBits = this.el2
      ? AP_NO_WRITE_TABLE | XN_TABLE
      : PXN_TABLE | XN_TABLE | AP_NO_EL0_TABLE | AP_NO_WRITE_TABLE;
    this.devIdx = idx.device;
    this.ncIdx = idx.nonCacheable;
    this.devAttr = idx.device << 2;
    this.normalAttr = (idx.normal << 2) | SH_INNER;
    this.ncAttr = (idx.nonCacheable << 2) | SH_INNER;
  }

  /** VALID: a table link, a block or a page. */
  present(lo: number, _hi: number): boolean {
    return (lo & VALID) !== 0;
  }

  /** At level 3 only `0b11` is a page: `0b01` there is reserved and faults (unlike upstream, which maps it). */
  override page(lo: number, _hi: number): boolean {
    return (lo & 3) === 3;
  }

  /** VALID and NON_BLOCK (`0b11`): at levels 0..2, a link to the next table. */
  table(lo: number, _hi: number): boolean {
    return (lo & 3) === 3;
  }

  /** VALID without NON_BLOCK (`0b01`): a block. An invalid entry is never one. */
  huge(lo: number, _hi: number): boolean {
    return (lo & 3) === 1;
  }

  /** Bits 47..12 as a frame number. */
  frame(lo: number, hi: number): number {
    return (lo >>> 12) + (hi & HI_ADDR) * LO_FRAMES;
  }

  /**
   * READ if valid; WRITE unless AP[2]; EXECUTE from PXN (kernel pages) or UXN
   * (user pages, and every page at EL2); USER from AP[1] at EL1; DEVICE or
   * UNCACHED when AttrIndx is the configured slot. An invalid entry reads as 0.
   */
  decodeFlags(lo: number, hi: number): MappingFlags {
    if ((lo & VALID) === 0) return 0;
    let f: number = MappingFlags.READ;
    if ((lo & AP_RO) === 0) f |= MappingFlags.WRITE;
    if (this.el2) {
      if ((hi & UXN) === 0) f |= MappingFlags.EXECUTE;
    } else if (lo & AP_EL0) {
      f |= MappingFlags.USER;
      if ((hi & UXN) === 0) f |= MappingFlags.EXECUTE;
    } else if ((hi & PXN) === 0) {
      f |= MappingFlags.EXECUTE;
    }
    const idx = (lo >>> 2) & 7;
    if (idx === this.devIdx) f |= MappingFlags.DEVICE;
    else if (idx === this.ncIdx) f |= MappingFlags.UNCACHED;
    return f;
  }

  /**
   * A page (`huge` false: bits [1:0] = `11`) or a block (`01`), always with AF.
   * Empty flags give no attributes at all (an invalid, non-zero entry, as
   * upstream). READ sets VALID, so a READ-less set gives an invalid entry too:
   * the walker refuses those through {@link checkFlags} first.
   */
  encodePage(frame: number, flags: MappingFlags, huge: boolean): void {
    let lo = AF | (huge ? 0 : NON_BLOCK);
    let hi = 0;
    if (flags !== 0) {
      lo |= flags & MappingFlags.DEVICE ? this.devAttr : flags & MappingFlags.UNCACHED ? this.ncAttr : this.normalAttr;
      if (flags & MappingFlags.READ) lo |= VALID;
      if ((flags & MappingFlags.WRITE) === 0) lo |= AP_RO;
      const noExec = (flags & MappingFlags.EXECUTE) === 0;
      if (this.el2) {
        if (noExec) hi = UXN;
      } else if (flags & MappingFlags.USER) {
        // EL0 access; never executable at EL1.
        lo |= AP_EL0;
        hi = noExec ? PXN | UXN : PXN;
      } else {
        // Kernel only; never executable at EL0.
        hi = noExec ? PXN | UXN : UXN;
      }
    }
    this.lo = (lo | ((frame & 0xf_ffff) << 12)) >>> 0;
    this.hi = (hi | (((frame / LO_FRAMES) >>> 0) & HI_ADDR)) >>> 0;
  }

  /** VALID | NON_BLOCK plus the address; no hierarchical (…_TABLE) bits. */
  encodeTable(frame: number): void {
    this.lo = (VALID | NON_BLOCK | ((frame & 0xf_ffff) << 12)) >>> 0;
    this.hi = ((frame / LO_FRAMES) >>> 0) & HI_ADDR;
  }

  /** Replaces bits 47..12, keeping every attribute bit. */
  setFrame(lo: number, hi: number, frame: number): void {
    this.lo = ((lo & LO_FLAGS) | ((frame & 0xf_ffff) << 12)) >>> 0;
    this.hi = ((hi & ~HI_ADDR) | (((frame / LO_FRAMES) >>> 0) & HI_ADDR)) >>> 0;
  }

  /**
   * The hierarchical attributes of a table descriptor (Arm ARM D8.4.2,
   * "Hierarchical control of data access and instruction fetch"): bits 59..62
   * of the entry as they sit in the high word (PXNTable, UXNTable/XNTable,
   * APTable[0], APTable[1]); only those the regime defines. They assume
   * TCR_ELx.HPD = 0 (hierarchical permissions enabled).
   */
  override tableRestrictions(_lo: number, hi: number): number {
    return hi & this.tableBits;
  }

  /**
   * The leaf's flags with the table attributes merged in as the walk does:
   * APTable[1] forces AP[2] (read-only), APTable[0] clears AP[1] (no EL0
   * access, so EXECUTE then follows PXN), UXNTable sets UXN, PXNTable PXN.
   */
  override effectiveFlags(lo: number, hi: number, restrictions: number): MappingFlags {
    let l = lo;
    let h = hi;
    if (restrictions & AP_NO_WRITE_TABLE) l |= AP_RO;
    if (restrictions & AP_NO_EL0_TABLE) l &= ~AP_EL0;
    if (restrictions & XN_TABLE) h |= UXN;
    if (restrictions & PXN_TABLE) h |= PXN;
    return this.decodeFlags(l >>> 0, h >>> 0);
  }

  /**
   * AArch64 has no write-only or execute-only leaf for this codec: AP grants
   * read with every data permission, and without READ upstream writes an
   * invalid descriptor. Such sets are refused here.
   */
  checkFlags(flags: MappingFlags): string | undefined {
    return flags & MappingFlags.READ
      ? undefined
      : 'aarch64 descriptors cannot grant WRITE or EXECUTE without READ (add READ)';
  }
}

/** Throws unless the three slots are distinct integers in 0..7. */
function checkAttrIndex(idx: A64AttrIndex): void {
  for (const key of ['device', 'normal', 'nonCacheable'] as const) {
    const v = idx[key];
    if (!Number.isInteger(v) || v < 0 || v > 7) {
      throw new RangeError(`aarch64 attrIndex.${key}: ${v} is not a MAIR slot (0..7)`);
    }
  }
  if (idx.device === idx.normal || idx.device === idx.nonCacheable || idx.normal === idx.nonCacheable) {
    throw new RangeError(
      `aarch64 attrIndex: device, normal and nonCacheable need distinct slots (got ${idx.device}, ${idx.normal}, ${idx.nonCacheable})`,
    );
  }
}
