/**
 * ARMv7-A long descriptors, the Large Physical Address Extension (Arm ARM
 * B3.6.1, "Long-descriptor translation table format descriptors"): 8-byte
 * entries with a 40-bit output address.
 *
 * Bits [1:0]: `x0` invalid, `01` a block (level 1: 1 GiB, level 2: 2 MiB;
 * reserved at level 3), `11` a table link (levels 1, 2) or a page (level 3).
 * The output address is bits [39:12]; the lower attributes bits [11:2]
 * (AttrIndx[2:0], NS, AP[2:1], SH[1:0], AF, nG) and the upper ones bits
 * [54:52] (Contiguous, PXN, XN); a table link carries PXNTable, XNTable,
 * APTable[1:0] and NSTable in bits [63:59].
 *
 * @module
 */

import { GenericPTE, MappingFlags } from '@page-table/core';

/** Long-descriptor bits as 64-bit masks (Arm ARM B3.6.1). */
export const LpaeDescriptor = {
  /** Bit 0: valid. */
  VALID: 1n << 0n,
  /** Bit 1: table (levels 1, 2) or page (level 3); clear for a block. */
  TABLE_OR_PAGE: 1n << 1n,
  /** Bits [4:2]: AttrIndx[2:0], the MAIR0/MAIR1 slot of the memory type. */
  ATTR_INDX: 0b111n << 2n,
  /** Bit 5: NS. */
  NS: 1n << 5n,
  /** Bit 6: AP[1], PL0 may access. */
  AP1: 1n << 6n,
  /** Bit 7: AP[2], read-only. */
  AP2: 1n << 7n,
  /** Bits [9:8]: SH[1:0] (`11` inner shareable). */
  SH: 0b11n << 8n,
  /** Bit 10: AF, the access flag (always enabled with long descriptors). */
  AF: 1n << 10n,
  /** Bit 11: nG. */
  NG: 1n << 11n,
  /** Bits [39:12]: the output address (or next-level table address). */
  ADDR: 0xff_ffff_f000n,
  /** Bit 52: Contiguous hint. */
  CONTIGUOUS: 1n << 52n,
  /** Bit 53: PXN. */
  PXN: 1n << 53n,
  /** Bit 54: XN. */
  XN: 1n << 54n,
  /** Bit 59 of a table link: PXNTable. */
  PXN_TABLE: 1n << 59n,
  /** Bit 60 of a table link: XNTable. */
  XN_TABLE: 1n << 60n,
  /** Bit 61 of a table link: APTable[0], no PL0 access below. */
  AP_TABLE_NO_PL0: 1n << 61n,
  /** Bit 62 of a table link: APTable[1], no write access below. */
  AP_TABLE_NO_WRITE: 1n << 62n,
  /** Bit 63 of a table link: NSTable. */
  NS_TABLE: 1n << 63n,
} as const;

// The same bits in the entry's halves, for the hot paths.
const VALID = 1;
const NON_BLOCK = 2;
const AP1 = 1 << 6;
const AP2 = 1 << 7;
const SH_INNER = 0b11 << 8;
const AF = 1 << 10;
const LO_ATTRS = 0xfff;
const HI_ADDR = 0xff;
const PXN = 1 << (53 - 32);
const XN = 1 << (54 - 32);
/** Bit 59 (PXNTable) in the high half. */
export const LPAE_PXN_TABLE_HI = 1 << (59 - 32);
/** Bit 60 (XNTable) in the high half. */
export const LPAE_XN_TABLE_HI = 1 << (60 - 32);
/** Bit 61 (APTable[0]) in the high half. */
export const LPAE_AP_NO_PL0_TABLE_HI = 1 << (61 - 32);
/** Bit 62 (APTable[1]) in the high half. */
export const LPAE_AP_NO_WRITE_TABLE_HI = 1 << (62 - 32);
const TABLE_BITS = LPAE_PXN_TABLE_HI | LPAE_XN_TABLE_HI | LPAE_AP_NO_PL0_TABLE_HI | LPAE_AP_NO_WRITE_TABLE_HI;
const LO_FRAMES = 0x10_0000;

/**
 * MAIR0/MAIR1 slots (AttrIndx values) of each memory type the codec writes.
 * The default is device 0, normal 1, nonCacheable 2, matching
 * {@link LPAE_MAIR0} (the AArch64 codec's `MAIR_VALUE` layout).
 */
export interface LpaeAttrIndex {
  /** Slot holding a Device attribute (0x04). */
  readonly device: number;
  /** Slot holding Normal Write-Back memory (0xff). */
  readonly normal: number;
  /** Slot holding Normal Non-cacheable memory (0x44). */
  readonly nonCacheable: number;
}

/** The default slots (see {@link LpaeAttrIndex}). */
export const DEFAULT_LPAE_ATTR_INDEX: LpaeAttrIndex = Object.freeze({ device: 0, normal: 1, nonCacheable: 2 });

/**
 * MAIR0 for the default slots (Arm ARM B4.1, "MAIR0 and MAIR1"): Attr0
 * 0x04 Device, Attr1 0xff Normal Write-Back, Attr2 0x44 Normal Non-cacheable.
 */
export const LPAE_MAIR0 = 0x0044_ff04;

/** Options of an {@link ArmLpaePTE} codec. */
export interface ArmLpaePTEOptions {
  /** MAIR slots of each memory type, default {@link DEFAULT_LPAE_ATTR_INDEX}. */
  readonly attrIndex?: LpaeAttrIndex;
}

function checkAttrIndex(idx: LpaeAttrIndex): void {
  for (const key of ['device', 'normal', 'nonCacheable'] as const) {
    const v = idx[key];
    if (!Number.isInteger(v) || v < 0 || v > 7) throw new RangeError(`armv7-lpae attrIndex.${key}: ${v} is not 0..7`);
  }
  if (idx.device === idx.normal || idx.device === idx.nonCacheable || idx.normal === idx.nonCacheable) {
    throw new RangeError('armv7-lpae attrIndex: device, normal and nonCacheable need distinct slots');
  }
}

/**
 * The LPAE long-descriptor codec. Flags map as the AArch64 codec maps them:
 * READ sets VALID, WRITE clears AP[2], USER sets AP[1]; user leaves get
 * PXN = 1 (never executable at PL1), leaves without EXECUTE XN = 1 (and PXN
 * for user ones); DEVICE / UNCACHED select their AttrIndx slot, normal
 * memory is inner shareable; every leaf has AF = 1.
 */
export class ArmLpaePTE extends GenericPTE {
  readonly arch = 'armv7-lpae';
  /** The MAIR slots used for each memory type. */
  readonly attrIndex: LpaeAttrIndex;
  private readonly devIdx: number;
  private readonly ncIdx: number;
  private readonly normalIdx: number;

  /** A codec with `options` (throws `RangeError` for invalid slots). */
  constructor(options: ArmLpaePTEOptions = {}) {
    super();
    const idx = options.attrIndex ?? DEFAULT_LPAE_ATTR_INDEX;
    checkAttrIndex(idx);
    this.attrIndex = Object.freeze({ device: idx.device, normal: idx.normal, nonCacheable: idx.nonCacheable });
    this.devIdx = idx.device;
    this.ncIdx = idx.nonCacheable;
    this.normalIdx = idx.normal;
  }

  /** VALID. */
  present(lo: number, _hi: number): boolean {
    return (lo & VALID) !== 0;
  }

  /** At level 3 only `11` is a page (`01` is reserved). */
  override page(lo: number, _hi: number): boolean {
    return (lo & 3) === 3;
  }

  /** `11` at levels 1 and 2: a link to the next table. */
  table(lo: number, _hi: number): boolean {
    return (lo & 3) === 3;
  }

  /** `01` at levels 1 and 2: a block. */
  huge(lo: number, _hi: number): boolean {
    return (lo & 3) === 1;
  }

  /** Bits [39:12] as a frame. */
  frame(lo: number, hi: number): number {
    return (lo >>> 12) + (hi & HI_ADDR) * LO_FRAMES;
  }

  /** The leaf's flags (see the class); 0 when invalid. */
  decodeFlags(lo: number, hi: number): MappingFlags {
    if ((lo & VALID) === 0) return 0;
    let f: number = MappingFlags.READ;
    if ((lo & AP2) === 0) f |= MappingFlags.WRITE;
    if (lo & AP1) {
      f |= MappingFlags.USER;
      if ((hi & XN) === 0) f |= MappingFlags.EXECUTE;
    } else if ((hi & (XN | PXN)) === 0) f |= MappingFlags.EXECUTE;
    const idx = (lo >>> 2) & 7;
    if (idx === this.devIdx) f |= MappingFlags.DEVICE;
    else if (idx === this.ncIdx) f |= MappingFlags.UNCACHED;
    return f;
  }

  /** A page (`huge` false, `11`) or a block (`01`) at `frame`, always with AF. */
  encodePage(frame: number, flags: MappingFlags, huge: boolean): void {
    let lo = AF | (huge ? 0 : NON_BLOCK);
    let hi = 0;
    if (flags & MappingFlags.READ) lo |= VALID;
    const dev = (flags & MappingFlags.DEVICE) !== 0;
    const idx = dev ? this.devIdx : flags & MappingFlags.UNCACHED ? this.ncIdx : this.normalIdx;
    lo |= (idx << 2) | (dev ? 0 : SH_INNER);
    if ((flags & MappingFlags.WRITE) === 0) lo |= AP2;
    const noExec = (flags & MappingFlags.EXECUTE) === 0;
    if (flags & MappingFlags.USER) {
      lo |= AP1;
      hi = noExec ? PXN | XN : PXN;
    } else if (noExec) hi = XN;
    this.lo = (lo | ((frame & 0xf_ffff) << 12)) >>> 0;
    this.hi = (hi | (((frame / LO_FRAMES) >>> 0) & HI_ADDR)) >>> 0;
  }

  /** VALID | table plus the address; no hierarchical bits. */
  encodeTable(frame: number): void {
    this.lo = (VALID | NON_BLOCK | ((frame & 0xf_ffff) << 12)) >>> 0;
    this.hi = ((frame / LO_FRAMES) >>> 0) & HI_ADDR;
  }

  /** Replaces bits [39:12], keeping every attribute bit. */
  setFrame(lo: number, hi: number, frame: number): void {
    this.lo = ((lo & LO_ATTRS) | ((frame & 0xf_ffff) << 12)) >>> 0;
    this.hi = ((hi & ~HI_ADDR) | (((frame / LO_FRAMES) >>> 0) & HI_ADDR)) >>> 0;
  }

  /**
   * A table link's hierarchical attributes (Arm ARM B3.6.1, "Hierarchical
   * control of access permissions"): PXNTable, XNTable, APTable[0] and
   * APTable[1] as they sit in the high half (bits 27..30).
   */
  override tableRestrictions(_lo: number, hi: number): number {
    return hi & TABLE_BITS;
  }

  /** The leaf's flags with the table attributes applied: APTable[1] forces AP[2], APTable[0] clears AP[1], XNTable sets XN, PXNTable PXN. */
  override effectiveFlags(lo: number, hi: number, restrictions: number): MappingFlags {
    let l = lo;
    let h = hi;
    if (restrictions & LPAE_AP_NO_WRITE_TABLE_HI) l |= AP2;
    if (restrictions & LPAE_AP_NO_PL0_TABLE_HI) l &= ~AP1;
    if (restrictions & LPAE_XN_TABLE_HI) h |= XN;
    if (restrictions & LPAE_PXN_TABLE_HI) h |= PXN;
    return this.decodeFlags(l >>> 0, h >>> 0);
  }

  /** READ is needed: AP grants read with every data permission, and VALID comes from READ. */
  checkFlags(flags: MappingFlags): string | undefined {
    return flags & MappingFlags.READ
      ? undefined
      : 'armv7-lpae descriptors cannot grant WRITE or EXECUTE without READ (add READ)';
  }
}
