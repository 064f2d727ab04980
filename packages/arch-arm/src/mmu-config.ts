/**
 * The ARMv7 MMU's register decoder: SCTLR, TTBR0/TTBR1, TTBCR, DACR,
 * CONTEXTIDR, PRRR/NMRR and MAIR0/MAIR1 plus the current privilege level
 * turned into one immutable configuration, rebuilt whenever one of them is
 * written.
 *
 * Sources: Arm ARM B4.1 SCTLR (M bit 0, TRE bit 28, AFE bit 29),
 * B4.1 TTBCR (short format: N [2:0], PD0 bit 4, PD1 bit 5; EAE bit 31;
 * long format: T0SZ [2:0], EPD0 bit 7, T1SZ [18:16], A1 bit 22, EPD1 bit 23),
 * B4.1 TTBR0/TTBR1 (32-bit: base [31:14-N] / [31:14]; 64-bit: BADDR
 * [39:x], ASID [55:48]), B4.1 DACR (D<n> in bits [2n+1:2n]), B4.1
 * CONTEXTIDR (ASID [7:0]), B4.1 PRRR, B4.1 NMRR, B4.1 MAIR0/1;
 * the VA split between TTBR0 and TTBR1 of B3.5.4 and B3.6.4.
 *
 * @module
 */

/** Privilege levels as the MMU takes them: PL0 (User mode) and PL1 (the kernel's modes). */
export const ArmPl = {
  /** PL0: User mode. */
  User: 0,
  /** PL1: the privileged modes (SVC, ABT, IRQ, …). */
  Privileged: 1,
} as const;

/** One of the {@link ArmPl} values. */
export type ArmPl = (typeof ArmPl)[keyof typeof ArmPl];

/** SCTLR.M (bit 0): the MMU is enabled. */
export const SCTLR_M = 1 << 0;
/** SCTLR.TRE (bit 28): TEX remap, memory types from PRRR/NMRR (short descriptors). */
export const SCTLR_TRE = 1 << 28;
/** SCTLR.AFE (bit 29): AP[0] is the access flag (short descriptors). */
export const SCTLR_AFE = 1 << 29;
/** TTBCR.PD0 (bit 4): no walk for the TTBR0 range (short descriptors). */
export const TTBCR_PD0 = 1 << 4;
/** TTBCR.PD1 (bit 5): no walk for the TTBR1 range (short descriptors). */
export const TTBCR_PD1 = 1 << 5;
/** TTBCR.EPD0 (bit 7): no walk for the TTBR0 range (long descriptors). */
export const TTBCR_EPD0 = 1 << 7;
/** TTBCR.A1 (bit 22): the ASID comes from TTBR1 rather than TTBR0 (long descriptors). */
export const TTBCR_A1 = 1 << 22;
/** TTBCR.EPD1 (bit 23): no walk for the TTBR1 range (long descriptors). */
export const TTBCR_EPD1 = 1 << 23;
/** TTBCR.EAE (bit 31): the long-descriptor (LPAE) format. */
export const TTBCR_EAE = 0x8000_0000;

/** DACR field values (Arm ARM B4.1, DACR). */
export const Domain = {
  /** 00: any access faults (Domain fault). */
  NoAccess: 0,
  /** 01: accesses are checked against the descriptors' permissions. */
  Client: 1,
  /** 10: reserved; treated as No access, as QEMU's ptw.c does. */
  Reserved: 2,
  /** 11: no permission checks (XN and PXN included). */
  Manager: 3,
} as const;

/** The register values the decoder reads, as unsigned 32-bit words (64-bit TTBRs as halves). */
export interface ArmV7Registers {
  /** SCTLR. */
  readonly sctlr: number;
  /** TTBR0 bits 31:0. */
  readonly ttbr0Lo: number;
  /** TTBR0 bits 63:32 (long format only; 0 in the short format). */
  readonly ttbr0Hi: number;
  /** TTBR1 bits 31:0. */
  readonly ttbr1Lo: number;
  /** TTBR1 bits 63:32. */
  readonly ttbr1Hi: number;
  /** TTBCR. */
  readonly ttbcr: number;
  /** DACR. */
  readonly dacr: number;
  /** CONTEXTIDR. */
  readonly contextidr: number;
  /** PRRR. */
  readonly prrr: number;
  /** NMRR. */
  readonly nmrr: number;
  /** MAIR0. */
  readonly mair0: number;
  /** MAIR1. */
  readonly mair1: number;
  /** The current privilege level. */
  readonly pl: ArmPl;
}

/** What a register state means for translation; never changed once built. */
export interface ArmV7Config extends ArmV7Registers {
  /** SCTLR.M. */
  readonly mmuOn: boolean;
  /** TTBCR.EAE: long descriptors. */
  readonly lpae: boolean;
  /** SCTLR.AFE (short descriptors). */
  readonly afe: boolean;
  /** SCTLR.TRE (short descriptors). */
  readonly tre: boolean;
  /** The implementation has PXN (fixed at construction). */
  readonly pxnImpl: boolean;
  /** Short format: TTBCR.N. */
  readonly n: number;
  /** Short format: TTBCR.PD0 / PD1. */
  readonly pd0: boolean;
  /** Short format: TTBCR.PD1. */
  readonly pd1: boolean;
  /** Short format: PA of the TTBR0 first-level table (TTBR0[31:14-N]). */
  readonly ttbr0Base: number;
  /** Short format: PA of the TTBR1 first-level table (TTBR1[31:14]). */
  readonly ttbr1Base: number;
  /** Long format: TTBCR.T0SZ. */
  readonly t0sz: number;
  /** Long format: TTBCR.T1SZ. */
  readonly t1sz: number;
  /** Long format: TTBCR.EPD0. */
  readonly epd0: boolean;
  /** Long format: TTBCR.EPD1. */
  readonly epd1: boolean;
  /** The ASID tagging non-global TLB entries: CONTEXTIDR[7:0] (short), TTBR0/TTBR1[55:48] by TTBCR.A1 (long). */
  readonly asid: number;
}

const TWO32 = 4294967296;

/** The PA of a long-format TTBR's table: BADDR[39:x], `x` from the TnSZ that selects the start level (B3.6.4). */
export function lpaeTableBase(lo: number, hi: number, tsz: number): number {
  const x = tsz <= 1 ? 5 - tsz : 14 - tsz;
  return ((lo & ~((1 << x) - 1)) >>> 0) + (hi & 0xff) * TWO32;
}

/** Decodes a register state (see the module); `pxnImpl` says whether the CPU implements PXN. */
export function decodeArmV7Config(r: ArmV7Registers, pxnImpl: boolean): ArmV7Config {
  const lpae = (r.ttbcr & TTBCR_EAE) !== 0;
  const n = lpae ? 0 : r.ttbcr & 7;
  return Object.freeze({
    sctlr: r.sctlr >>> 0,
    ttbr0Lo: r.ttbr0Lo >>> 0,
    ttbr0Hi: r.ttbr0Hi >>> 0,
    ttbr1Lo: r.ttbr1Lo >>> 0,
    ttbr1Hi: r.ttbr1Hi >>> 0,
    ttbcr: r.ttbcr >>> 0,
    dacr: r.dacr >>> 0,
    contextidr: r.contextidr >>> 0,
    prrr: r.prrr >>> 0,
    nmrr: r.nmrr >>> 0,
    mair0: r.mair0 >>> 0,
    mair1: r.mair1 >>> 0,
    pl: r.pl,
    mmuOn: (r.sctlr & SCTLR_M) !== 0,
    lpae,
    afe: (r.sctlr & SCTLR_AFE) !== 0,
    tre: (r.sctlr & SCTLR_TRE) !== 0,
    pxnImpl,
    n,
    pd0: (r.ttbcr & TTBCR_PD0) !== 0,
    pd1: (r.ttbcr & TTBCR_PD1) !== 0,
    ttbr0Base: (r.ttbr0Lo & (0xffff_ffff << (14 - n))) >>> 0,
    ttbr1Base: (r.ttbr1Lo & 0xffff_c000) >>> 0,
    t0sz: r.ttbcr & 7,
    t1sz: (r.ttbcr >>> 16) & 7,
    epd0: (r.ttbcr & TTBCR_EPD0) !== 0,
    epd1: (r.ttbcr & TTBCR_EPD1) !== 0,
    asid: lpae ? ((r.ttbcr & TTBCR_A1 ? r.ttbr1Hi : r.ttbr0Hi) >>> 16) & 0xff : r.contextidr & 0xff,
  });
}

/**
 * Which TTBR translates VA `lo` (0 or 1), and for the long format whether the
 * VA lies in neither range (-1). Short format (B3.5.4): TTBR1 when N > 0 and
 * VA[31:32-N] is not 0. Long format (B3.6.4): with T1SZ = 0, TTBR1 from
 * 2^(32-T0SZ) up; otherwise TTBR1 from 2^32 - 2^(32-T1SZ) up, and TTBR0 below
 * 2^(32-T0SZ); a VA between the two ranges is in neither.
 */
export function selectTtbr(cfg: ArmV7Config, lo: number): -1 | 0 | 1 {
  if (!cfg.lpae) return cfg.n !== 0 && lo >>> (32 - cfg.n) !== 0 ? 1 : 0;
  const t0 = cfg.t0sz;
  const t1 = cfg.t1sz;
  const above0 = t0 !== 0 && lo >>> (32 - t0) !== 0;
  if (t1 === 0) return above0 ? 1 : 0;
  if (lo >>> (32 - t1) === 0xffff_ffff >>> (32 - t1)) return 1;
  return above0 ? -1 : 0;
}
