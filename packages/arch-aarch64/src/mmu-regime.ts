/**
 * The register decoder of the AArch64 MMU: the raw TTBRn_ELx, TCR_ELx,
 * SCTLR_ELx and MAIR_ELx values of a translation regime turned into one
 * immutable {@link A64Regime} value (with its VA ranges as
 * {@link A64VaRange} values), rebuilt whenever a register is written. The
 * walk and the TLB read only these values, so the EL1&0 and EL2 regimes are
 * one code path with different inputs (Arm ARM D8.1 "Translation regimes",
 * D8.2 "Translation process"; aarch64-paging's `TranslationRegime`).
 *
 * @module
 */

import type { Halves } from '@page-table/core';

// TCR_EL1 bits, by half.
const TCR_EPD0 = 1 << 7;
const TCR_A1 = 1 << 22;
const TCR_EPD1 = 1 << 23;
const TCRH_AS = 1 << (36 - 32);
const TCRH_TBI0 = 1 << (37 - 32);
const TCRH_HA = 1 << (39 - 32);
const TCRH_HD = 1 << (40 - 32);
const TCRH_HPD0 = 1 << (41 - 32);
const TCRH_TBID0 = 1 << (51 - 32);
const TCRH_E0PD0 = 1 << (55 - 32);

// TCR_EL2 (E2H = 0) bits, all in the low word.
const TCR2_TBI = 1 << 20;
const TCR2_HA = 1 << 21;
const TCR2_HD = 1 << 22;
const TCR2_HPD = 1 << 24;
const TCR2_TBID = 1 << 29;

const SCTLR_M = 1;
const SCTLR_WXN = 1 << 19;
/** SCTLR_ELx.EE: big-endian table walks, which the MMU does not model. */
export const SCTLR_EE = 1 << 25;

/** PA sizes of ID_AA64MMFR0_EL1.PARange / TCR_EL1.IPS codes. */
export const PA_SIZES: readonly number[] = [32, 36, 40, 42, 44, 48, 52];

/** The modelled CPU's fixed features the decoder needs (ID_AA64MMFR0/1/2_EL1). */
export interface A64CpuFeatures {
  /** Implemented PA size in bits, at most 48 (no FEAT_LPA2). */
  readonly paBits: number;
  /** The PARange code of {@link paBits} (index into {@link PA_SIZES}). */
  readonly parange: number;
  /** FEAT_TTST: TxSZ up to 48 instead of 39. */
  readonly ttst: boolean;
  /** FEAT_HAFDBS: TCR.HA/HD take effect. */
  readonly hafdbs: boolean;
}

/** The raw registers of one regime as 32-bit halves (TTBR1 is 0 for the EL2 regime, which has none). */
export interface A64RegimeRegs {
  /** TTBR0_ELx. */
  readonly ttbr0: Halves;
  /** TTBR1_EL1 (EL1&0 only). */
  readonly ttbr1: Halves;
  /** TCR_ELx. */
  readonly tcr: Halves;
  /** SCTLR_ELx. */
  readonly sctlr: Halves;
  /** MAIR_ELx. */
  readonly mair: Halves;
}

/**
 * One VA range of a regime (TTBR0_EL1, TTBR1_EL1 or TTBR0_EL2) as the walk
 * needs it: the root, the input size and start level from TxSZ, and the
 * range's control bits. Every range has the same shape, so the walk stays
 * monomorphic.
 */
export interface A64VaRange {
  /** 0 = TTBR0_EL1, 1 = TTBR1_EL1, 2 = TTBR0_EL2 (names in reports, TLB tag). */
  readonly id: 0 | 1 | 2;
  /** The TTBR's BADDR [47:1] (bit 0, CnP, included; the walk masks it). */
  readonly baddr: number;
  /** TxSZ as written. */
  readonly tsz: number;
  /** Input size in bits: 64 - TxSZ, TxSZ clamped to 16..39 (with FEAT_TTST 16..48, 16..47 for the 64 KiB granule). */
  readonly input: number;
  /** log2 of the translation granule TGn selects: 12 (4 KiB), 14 (16 KiB) or 16 (64 KiB) (Arm ARM D8.2.7). */
  readonly granule: number;
  /** VA bits resolved per level: granule - 3 (9, 11 or 13; a table holds 2^stride descriptors). */
  readonly stride: number;
  /** Index mask of every table below the start level: 2^stride - 1. */
  readonly tableMask: number;
  /** The lowest Arm level a block may sit at: 1 with the 4 KiB granule, 2 with 16 KiB and 64 KiB (no FEAT_LPA/LPA2). */
  readonly blockLevel: number;
  /** Descriptor bits [31:12] of an output address, as 4 KiB frame bits: the bits below the granule are not address bits. */
  readonly oaMask: number;
  /** 4 KiB pages in a leaf at each Arm level 0..3: 2^(granule + stride × (3 - level) - 12). */
  readonly leafPages: readonly number[];
  /** The Arm lookup level the walk starts at. */
  readonly start: number;
  /** Index mask of the start-level table (smaller than 511 when the input size is not a multiple of 9 above 12). */
  readonly startMask: number;
  /** 4 KiB frame of the start-level table: BADDR with the bits below the table's size (RES0, and CnP) cleared, as QEMU does. */
  readonly rootFrame: number;
  /** Word (4-byte) offset of the start-level table in {@link rootFrame} (nonzero for a table smaller than 4 KiB). */
  readonly rootWord: number;
  /** TxSZ was outside its allowed range: every access is a level-0 Translation fault. */
  readonly oob: boolean;
  /** EPDn: walks disabled, a TLB miss is a level-0 Translation fault. */
  readonly epd: boolean;
  /** HPDn: hierarchical permissions (APTable, XNTable, PXNTable) are ignored. */
  readonly hpd: boolean;
  /** E0PDn: EL0 accesses to this range fault. */
  readonly e0pd: boolean;
  /** VA bits that must equal VA[55] (range 1) or be 0, for data accesses (high, low word; signed as `&` yields). */
  readonly topHi: number;
  /** Low word of {@link topHi}. */
  readonly topLo: number;
  /** {@link topHi} for instruction fetches (TBID makes TBI data-only). */
  readonly topHiX: number;
  /** Low word of {@link topHiX}. */
  readonly topLoX: number;
  /** With the MMU off: VA bits [63|55 : paBits] that must be zero, high word, data accesses. */
  readonly flatHi: number;
  /** {@link flatHi} for instruction fetches. */
  readonly flatHiX: number;
}

/**
 * A translation regime (EL1&0, or EL2 with HCR_EL2.E2H = 0) as one
 * immutable value: its raw registers and everything decoded from them.
 * `lower` and `upper` are the VA ranges selected by VA[55]; the EL2 regime
 * has one range, so both are TTBR0_EL2's.
 */
export interface A64Regime {
  /** Whether this is the EL2 regime. */
  readonly el2: boolean;
  /** The raw registers it was decoded from. */
  readonly regs: A64RegimeRegs;
  /** SCTLR_ELx.M: stage 1 enabled. */
  readonly on: boolean;
  /** SCTLR_ELx.WXN: writable implies execute-never. */
  readonly wxn: boolean;
  /** TCR_ELx.HA (with FEAT_HAFDBS): hardware Access-flag updates. */
  readonly ha: boolean;
  /** TCR_ELx.HD (with HA): hardware dirty-state updates of DBM pages. */
  readonly hd: boolean;
  /** The output address size in bits (IPS/PS bounded by PARange and 48). */
  readonly outBits: number;
  /** 2^(outBits - 12): the first 4 KiB frame beyond the output size. */
  readonly outFrames: number;
  /** 0xffff with TCR_EL1.AS (16-bit ASIDs), else 0xff; 0 for EL2 (untagged). */
  readonly asidMask: number;
  /** The current ASID: TTBR0_EL1[63:48] (TTBR1_EL1's with TCR_EL1.A1), masked; 0 for EL2. */
  readonly asid: number;
  /** The range of VAs with bit 55 clear. */
  readonly lower: A64VaRange;
  /** The range of VAs with bit 55 set (the lower range again for EL2). */
  readonly upper: A64VaRange;
}

/** Bits b..t (0 ≤ b, t ≤ 63, inclusive) of a 64-bit mask, as signed [hi, lo] words; zero when t < b. */
function maskHalves(t: number, b: number): [number, number] {
  if (t < b) return [0, 0];
  const word = (top: number, bot: number): number => (top < bot ? 0 : (2 ** (top + 1) - 2 ** bot) | 0);
  return [word(Math.min(t, 63) - 32, Math.max(b, 32) - 32), word(Math.min(t, 31), Math.max(b, 0))];
}

/** log2 of the granule of TCR_ELx.TG0 [15:14]: 00 4 KiB, 01 64 KiB, 10 16 KiB; the reserved 11 acts as 4 KiB (Arm ARM D19 TCR_EL1). */
function tg0Granule(tg: number): number {
  return tg === 1 ? 16 : tg === 2 ? 14 : 12;
}

/** log2 of the granule of TCR_EL1.TG1 [31:30]: 01 16 KiB, 10 4 KiB, 11 64 KiB; the reserved 00 acts as 4 KiB. */
function tg1Granule(tg: number): number {
  return tg === 1 ? 14 : tg === 3 ? 16 : 12;
}

function decodeRange(
  id: 0 | 1 | 2,
  ttbr: Halves,
  tsz: number,
  granule: number,
  ctl: { epd: boolean; hpd: boolean; e0pd: boolean; tbi: boolean; tbid: boolean },
  cpu: A64CpuFeatures,
): A64VaRange {
  // Arm ARM D8.2.6 (TnSZ limits): 16..39, with FEAT_TTST up to 48 (47 with the 64 KiB granule).
  const maxTsz = cpu.ttst ? (granule === 16 ? 47 : 48) : 39;
  const input = 64 - Math.min(Math.max(tsz, 16), maxTsz);
  const stride = granule - 3;
  // D8.2.7: the walk starts where the levels of `stride` bits above the page offset cover the input size.
  const start = 4 - Math.floor((input - 4) / stride);
  // Bits [top:input] must equal VA[55] (TTBR1) or be 0; top is 55 under TBI (63 for fetches with TBID).
  const topD = ctl.tbi ? 55 : 63;
  const topX = ctl.tbi && !ctl.tbid ? 55 : 63;
  const [topHi, topLo] = maskHalves(topD, input);
  const [topHiX, topLoX] = maskHalves(topX, input);
  const baddr = (ttbr[0] & 0xffff) * 4294967296 + ttbr[1];
  const startMask = 2 ** (input - (granule + stride * (3 - start))) - 1;
  const tableBytes = (startMask + 1) * 8;
  // Not `baddr % tableBytes`: `%` on a double is a runtime call.
  const table = Math.floor(baddr / tableBytes) * tableBytes;
  const rootFrame = Math.floor(table / 4096);
  return {
    id,
    baddr,
    tsz,
    granule,
    stride,
    tableMask: 2 ** stride - 1,
    blockLevel: granule === 12 ? 1 : 2,
    oaMask: (0xfffff << (granule - 12)) & 0xfffff,
    leafPages: [0, 1, 2, 3].map((l) => 2 ** (granule - 12 + stride * (3 - l))),
    input,
    start,
    startMask,
    rootFrame,
    rootWord: (table - rootFrame * 4096) / 4,
    oob: tsz < 16 || tsz > maxTsz,
    epd: ctl.epd,
    hpd: ctl.hpd,
    e0pd: ctl.e0pd,
    topHi,
    topLo,
    topHiX,
    topLoX,
    flatHi: maskHalves(topD, cpu.paBits)[0] >>> 0,
    flatHiX: maskHalves(topX, cpu.paBits)[0] >>> 0,
  };
}

/** The output size of an IPS/PS code: bounded by PARange, and by 48 bits without FEAT_LPA2. */
function outputBits(ps: number, cpu: A64CpuFeatures): number {
  return Math.min(PA_SIZES[Math.min(ps, cpu.parange)], 48);
}

/**
 * Decodes the EL1&0 regime from TTBR0_EL1, TTBR1_EL1, TCR_EL1 (T0SZ/T1SZ,
 * EPDn, A1, IPS, AS, TBIn, HA, HD, HPDn, TBIDn, E0PDn,
 * TG0, TG1), SCTLR_EL1 (M, WXN) and MAIR_EL1.
 */
export function decodeEl1Regime(regs: A64RegimeRegs, cpu: A64CpuFeatures): A64Regime {
  const [hi, lo] = regs.tcr;
  const range = (r: 0 | 1) =>
    decodeRange(
      r,
      r ? regs.ttbr1 : regs.ttbr0,
      r ? (lo >>> 16) & 63 : lo & 63,
      r ? tg1Granule(lo >>> 30) : tg0Granule((lo >>> 14) & 3),
      {
        epd: (lo & (r ? TCR_EPD1 : TCR_EPD0)) !== 0,
        hpd: (hi & (TCRH_HPD0 << r)) !== 0,
        e0pd: (hi & (TCRH_E0PD0 << r)) !== 0,
        tbi: (hi & (TCRH_TBI0 << r)) !== 0,
        tbid: (hi & (TCRH_TBID0 << r)) !== 0,
      },
      cpu,
    );
  const outBits = outputBits(hi & 7, cpu);
  const ha = cpu.hafdbs && (hi & TCRH_HA) !== 0;
  const asidMask = hi & TCRH_AS ? 0xffff : 0xff;
  const asidSrc = lo & TCR_A1 ? regs.ttbr1 : regs.ttbr0;
  return regime(
    false,
    regs,
    outBits,
    ha,
    ha && (hi & TCRH_HD) !== 0,
    asidMask,
    (asidSrc[0] >>> 16) & asidMask,
    range(0),
    range(1),
  );
}

/**
 * Decodes the EL2 regime (HCR_EL2.E2H = 0) from TTBR0_EL2, TCR_EL2 in its
 * E2H = 0 layout (T0SZ, TG0, PS, TBI, HA, HD, HPD, TBID), SCTLR_EL2 and MAIR_EL2.
 */
export function decodeEl2Regime(regs: A64RegimeRegs, cpu: A64CpuFeatures): A64Regime {
  const lo = regs.tcr[1];
  const r = decodeRange(
    2,
    regs.ttbr0,
    lo & 63,
    tg0Granule((lo >>> 14) & 3),
    {
      epd: false,
      hpd: (lo & TCR2_HPD) !== 0,
      e0pd: false,
      tbi: (lo & TCR2_TBI) !== 0,
      tbid: (lo & TCR2_TBID) !== 0,
    },
    cpu,
  );
  const ha = cpu.hafdbs && (lo & TCR2_HA) !== 0;
  return regime(true, regs, outputBits((lo >>> 16) & 7, cpu), ha, ha && (lo & TCR2_HD) !== 0, 0, 0, r, r);
}

function regime(
  el2: boolean,
  regs: A64RegimeRegs,
  outBits: number,
  ha: boolean,
  hd: boolean,
  asidMask: number,
  asid: number,
  lower: A64VaRange,
  upper: A64VaRange,
): A64Regime {
  const sctlr = regs.sctlr[1];
  return {
    el2,
    regs,
    on: (sctlr & SCTLR_M) !== 0,
    wxn: (sctlr & SCTLR_WXN) !== 0,
    ha,
    hd,
    outBits,
    outFrames: 2 ** (outBits - 12),
    asidMask,
    asid,
    lower,
    upper,
  };
}

/** The attribute byte of MAIR slot `index` (0..7) of a regime's MAIR_ELx. */
export function mairAttr(g: A64Regime, index: number): number {
  const [hi, lo] = g.regs.mair;
  return index < 4 ? (lo >>> (8 * index)) & 0xff : (hi >>> (8 * (index - 4))) & 0xff;
}
