/**
 * The RISC-V MMU's register decoder: the raw `satp`, `mstatus`, privilege
 * and `menvcfg` (ADUE, PBMTE) values turned into one immutable configuration
 * of the translation they select, rebuilt whenever one is written
 * (privileged spec: "Supervisor Address Translation and Protection (satp)
 * Register", "Memory Privilege in mstatus Register", the Svadu and Svpbmt
 * chapters). The hart's fixed facts (implemented modes, ASIDLEN, Svnapot,
 * PMP) are a separate {@link RiscvHart}.
 *
 * @module
 */

import type { Access } from '@page-table/core';
import type { SvMode } from './metadata.js';
import { type RiscvRights, riscvRights } from './mmu-rights.js';
import { SatpMode } from './satp.js';

/** Privilege modes as the ISA encodes them (`mstatus.MPP`, `sstatus.SPP`): 0 U, 1 S, 3 M. */
export const RiscvPriv = {
  /** User mode. */
  User: 0,
  /** Supervisor mode. */
  Supervisor: 1,
  /** Machine mode: no translation (unless `mstatus.MPRV` applies to a load or store). */
  Machine: 3,
} as const;

/** One of the {@link RiscvPriv} values. */
export type RiscvPriv = (typeof RiscvPriv)[keyof typeof RiscvPriv];

/**
 * A PMP/PMA check: whether an access of kind `access` at privilege `priv`
 * may touch physical address `paddr`. The MMU asks it for every page-table
 * read (Read, S-mode), every A/D write (Write, S-mode) and the final PA of
 * every access (the access's kind, at the effective privilege); `false`
 * raises the access fault of the original access (1/5/7). It must be pure:
 * `debugTranslate` calls it too.
 */
export type RiscvPhysCheck = (paddr: number, access: Access, priv: RiscvPriv) => boolean;

/** What a hart implements, fixed at construction. */
export interface RiscvHart {
  /** XLEN: 64 (RV64: Sv39/48/57) or 32 (RV32: Sv32). */
  readonly xlen: 32 | 64;
  /** The widest `satp.MODE` accepted (8 Sv39, 9 Sv48, 10 Sv57; 1 Sv32 on RV32). */
  readonly maxMode: number;
  /** `(1 << ASIDLEN) - 1`. */
  readonly asidMask: number;
  /** Svnapot implemented. */
  readonly svnapot: boolean;
  /** PMP/PMA check, if any. */
  readonly pmp: RiscvPhysCheck | undefined;
}

/** The register values the decoder reads, already legalized (WARL applied), as unsigned 32-bit halves. */
export interface RiscvRawRegisters {
  /** The hart's XLEN: on RV32 `satp` and `mstatus` are 32-bit (their high halves 0). */
  readonly xlen: 32 | 64;
  /** `satp` bits 63:32. */
  readonly satpHi: number;
  /** `satp` bits 31:0. */
  readonly satpLo: number;
  /** `mstatus` bits 63:32. */
  readonly mstatusHi: number;
  /** `mstatus` bits 31:0. */
  readonly mstatusLo: number;
  /** Current privilege. */
  readonly priv: RiscvPriv;
  /** `menvcfg.ADUE`: hardware A/D updating (Svadu) rather than A/D faults (Svade). */
  readonly svadu: boolean;
  /** `menvcfg.PBMTE`: PTE bits 62:61 are a memory type. */
  readonly svpbmt: boolean;
}

/** What a register state means for translation; never changed once built. */
export interface RiscvMmuConfig extends RiscvRawRegisters {
  /** `satp.MODE`: 0 Bare, 8 Sv39, 9 Sv48, 10 Sv57; on RV32 0 Bare, 1 Sv32. */
  readonly mode: number;
  /** Levels of the walk: 0 (Bare), 2 (Sv32), 3, 4 or 5. */
  readonly levels: number;
  /** Sv32: 4-byte PTEs in 1024-entry tables, 4 MiB megapages, 34-bit PAs. */
  readonly sv32: boolean;
  /** What a VA's high word is ANDed with: all ones on RV64, 0 on RV32 (where a VA is 32 bits). */
  readonly hiMask: number;
  /** The complement of {@link hiMask}: nonzero on RV32, where a VA with a high word must be a sign-extended one. */
  readonly rv32Mask: number;
  /** VA high-word bits that must all equal the top VA bit (0 in Bare). */
  readonly vaMask: number;
  /** 4 KiB frame of the root table (`satp.PPN`). */
  readonly rootFrame: number;
  /** `satp.ASID`: the TLB tag. */
  readonly asid: number;
  /** `mstatus.MPRV`: M-mode loads and stores translate at MPP. */
  readonly mprv: boolean;
  /** `mstatus.MPP`. */
  readonly mpp: RiscvPriv;
  /** SUM, MXR and the TLB-hit table they imply. */
  readonly rights: RiscvRights;
  /** `rights.hitOk`, one load closer to the TLB-hit check. */
  readonly hitOk: Uint8Array;
  /** The privilege (0 or 1) a load or store is translated at (MPP under MPRV in M-mode), or -1 when it is not translated. */
  readonly dataPriv: number;
  /** The privilege (0 or 1) a fetch is translated at, or -1 when it is not translated (Bare, M-mode). */
  readonly fetchPriv: number;
}

const TWO32 = 4294967296;
const MSTATUS_MPP_SHIFT = 11;
const MSTATUS_MPRV = 1 << 17;
const MSTATUS_SUM = 1 << 18;
const MSTATUS_MXR = 1 << 19;
/** The `mstatus` bits `sstatus` shows (RV64): SIE, SPIE, UBE, SPP, VS, FS, XS, SUM, MXR (low word); UXL, SD (high word). */
export const SSTATUS_LO = 0x000d_e762;
/** High-word half of the `sstatus` view (UXL, SD). */
export const SSTATUS_HI = 0x8000_0003;
/** `menvcfg.ADUE` (bit 61) as a high-word bit. */
export const MENVCFG_ADUE_HI = 1 << 29;
/** `menvcfg.PBMTE` (bit 62) as a high-word bit. */
export const MENVCFG_PBMTE_HI = 1 << 30;

const MODE_LEVELS: Readonly<Record<number, number>> = { 0: 0, 8: 3, 9: 4, 10: 5 };
/** Scheme names by `satp.MODE` (1 is RV32's Sv32). */
export const MODE_NAMES: Readonly<Record<number, SvMode | 'Sv32' | 'Bare'>> = {
  0: 'Bare',
  1: 'Sv32',
  8: 'Sv39',
  9: 'Sv48',
  10: 'Sv57',
};
/** RV32 `satp`: MODE bit 31, ASID bits 30:22, PPN bits 21:0. */
const SATP32_ASID_SHIFT = 22;
const SATP32_PPN = 0x3f_ffff;
/** `satp.MODE` of each `maxMode` option. */
export const MAX_MODE: Readonly<Record<SvMode, number>> = {
  Sv39: SatpMode.Sv39,
  Sv48: SatpMode.Sv48,
  Sv57: SatpMode.Sv57,
};

/**
 * The `satp` value a write of (hi, lo) leaves (ASID cut to ASIDLEN), or
 * `undefined` when its MODE is not implemented and the write is ignored (WARL).
 */
export function legalSatp(hart: RiscvHart, hi: number, lo: number): readonly [number, number] | undefined {
  if (hart.xlen === 32) {
    // Both RV32 MODE values (Bare, Sv32) are implemented.
    const asid = (lo >>> SATP32_ASID_SHIFT) & 0x1ff & hart.asidMask;
    return [0, ((lo & 0x8000_0000) | (asid << SATP32_ASID_SHIFT) | (lo & SATP32_PPN)) >>> 0];
  }
  const mode = hi >>> 28;
  if (MODE_LEVELS[mode] === undefined || mode > hart.maxMode) return undefined;
  const asid = (hi >>> 12) & 0xffff & hart.asidMask;
  return [((mode << 28) | (asid << 12) | (hi & 0xfff)) >>> 0, lo >>> 0];
}

/** The `mstatus` low word a write of `lo` leaves: MPP is WARL, the reserved 2 keeps `prevMpp`. */
export function legalMstatusLo(prevMpp: number, lo: number): number {
  let mpp = (lo >>> MSTATUS_MPP_SHIFT) & 3;
  if (mpp === 2) mpp = prevMpp;
  return ((lo & ~(3 << MSTATUS_MPP_SHIFT)) | (mpp << MSTATUS_MPP_SHIFT)) >>> 0;
}

/** Decodes a legalized register state (see the module). */
export function decodeRiscvConfig(r: RiscvRawRegisters): RiscvMmuConfig {
  const rv32 = r.xlen === 32;
  const mode = rv32 ? r.satpLo >>> 31 : r.satpHi >>> 28;
  const levels = rv32 ? mode * 2 : (MODE_LEVELS[mode] ?? 0);
  const lo = r.mstatusLo;
  const rights = riscvRights((lo & MSTATUS_SUM) !== 0, (lo & MSTATUS_MXR) !== 0);
  const mprv = (lo & MSTATUS_MPRV) !== 0;
  const mpp = ((lo >>> MSTATUS_MPP_SHIFT) & 3) as RiscvPriv;
  const dataPriv = r.priv !== 3 ? r.priv : mprv && mpp !== 3 ? mpp : -1;
  return Object.freeze({
    xlen: r.xlen,
    satpHi: r.satpHi,
    satpLo: r.satpLo,
    mstatusHi: r.mstatusHi,
    mstatusLo: lo,
    priv: r.priv,
    svadu: r.svadu,
    svpbmt: r.svpbmt,
    mode,
    levels,
    sv32: rv32 && levels !== 0,
    hiMask: rv32 ? 0 : 0xffff_ffff,
    rv32Mask: rv32 ? 0xffff_ffff : 0,
    vaMask: levels === 0 || rv32 ? 0 : ~0 << (9 * levels + 11 - 32),
    rootFrame: rv32 ? r.satpLo & SATP32_PPN : (r.satpHi & 0xfff) * TWO32 + r.satpLo,
    asid: rv32 ? (r.satpLo >>> SATP32_ASID_SHIFT) & 0x1ff : (r.satpHi >>> 12) & 0xffff,
    mprv,
    mpp,
    rights,
    hitOk: rights.hitOk,
    dataPriv: levels === 0 ? -1 : dataPriv,
    fetchPriv: levels === 0 || r.priv === 3 ? -1 : r.priv,
  });
}

/** Whether VA high word `hi` is canonical for `cfg`'s mode (always true in Bare). */
export function isCanonicalHi(cfg: RiscvMmuConfig, hi: number): boolean {
  const m = hi & cfg.vaMask;
  return m === 0 || m === cfg.vaMask;
}

/** The effective privilege of an access: MPP for an M-mode load or store with MPRV = 1, else the current one. */
export function effectivePriv(cfg: RiscvMmuConfig, access: Access): RiscvPriv {
  return cfg.priv === 3 && access !== 2 && cfg.mprv ? cfg.mpp : cfg.priv;
}
