/**
 * The `satp` CSR: what S-mode software writes to turn a root table into the
 * active address space (RISC-V privileged spec, "Supervisor Address
 * Translation and Protection (satp) Register", RV64 layout).
 *
 * ```text
 *  63..60  59..44  43..0
 *   MODE    ASID    PPN (root table PA / 4096)
 * ```
 *
 * @module
 */

import { type AddrLike, fromBigUnchecked, type PhysAddr, pa, toAddrValue, toBigInt } from '@page-table/memory-addr';

/** The `satp.MODE` values of RV64 (10 = Sv57; 11 = Sv64 is defined by the spec but not built here). */
export const SatpMode = {
  /** No translation: VA = PA. */
  Bare: 0,
  /** 3-level, 39-bit VAs. */
  Sv39: 8,
  /** 4-level, 48-bit VAs. */
  Sv48: 9,
  /** 5-level, 57-bit VAs. */
  Sv57: 10,
} as const;

/** One of the {@link SatpMode} values. */
export type SatpMode = (typeof SatpMode)[keyof typeof SatpMode];

/** Largest ASID (16 bits on RV64; an implementation may have fewer, `satp.ASID` reads back which are writable). */
export const SATP_ASID_MAX = 0xffff;

/** The `satp.MODE` values of RV32 (bit 31). */
export const Satp32Mode = {
  /** No translation: VA = PA. */
  Bare: 0,
  /** 2-level, 32-bit VAs, 34-bit PAs. */
  Sv32: 1,
} as const;

/** One of the {@link Satp32Mode} values. */
export type Satp32Mode = (typeof Satp32Mode)[keyof typeof Satp32Mode];

/**
 * The RV32 `satp` value (MODE [31], ASID [30:22], PPN [21:0]) selecting
 * `mode`, address-space `asid` (0..511) and the root table at `rootPa`
 * (4 KiB-aligned, below 2^34). Throws a `RangeError` for anything else.
 */
export function satp32(mode: Satp32Mode, asid: number, rootPa: AddrLike): number {
  if (mode !== 0 && mode !== 1) throw new RangeError(`satp32: unknown MODE ${String(mode)}`);
  if (!Number.isInteger(asid) || asid < 0 || asid > 0x1ff)
    throw new RangeError(`satp32: ASID ${asid} is outside 0..511`);
  const root = toBigInt(pa(rootPa));
  if (root & 0xfffn) throw new RangeError(`satp32: root 0x${root.toString(16)} is not 4 KiB-aligned`);
  if (root >= 1n << 34n) throw new RangeError(`satp32: root 0x${root.toString(16)} is beyond the 34-bit PA space`);
  if (mode === 0 && (asid !== 0 || root !== 0n)) throw new RangeError('satp32: MODE Bare needs ASID 0 and PPN 0');
  return ((mode << 31) | (asid << 22) | Number(root >> 12n)) >>> 0;
}

/** The three fields of a `satp` value. */
export interface SatpFields {
  /** MODE (bits 60..63); compare with {@link SatpMode}. */
  readonly mode: number;
  /** ASID (bits 44..59). */
  readonly asid: number;
  /** Physical address of the root table (PPN × 4096). */
  readonly root: PhysAddr;
}

const MODES: readonly number[] = Object.values(SatpMode);
const PA_LIMIT = 1n << 56n;

/**
 * The `satp` value selecting `mode`, address-space `asid` and the root table
 * at `rootPa` (4 KiB-aligned, below 2^56). For {@link SatpMode.Bare} the
 * spec requires ASID and PPN to be zero. Throws a `RangeError` for anything
 * else. After writing it, run `sfence.vma` (see the package README).
 */
export function satp(mode: SatpMode, asid: number, rootPa: AddrLike): bigint {
  if (!MODES.includes(mode)) throw new RangeError(`satp: unknown MODE ${String(mode)}`);
  if (!Number.isInteger(asid) || asid < 0 || asid > SATP_ASID_MAX) {
    throw new RangeError(`satp: ASID ${asid} is outside 0..${SATP_ASID_MAX}`);
  }
  const root = toBigInt(pa(rootPa));
  if (root & 0xfffn) throw new RangeError(`satp: root 0x${root.toString(16)} is not 4 KiB-aligned`);
  if (root >= PA_LIMIT) throw new RangeError(`satp: root 0x${root.toString(16)} is beyond the 56-bit PA space`);
  if (mode === SatpMode.Bare && (asid !== 0 || root !== 0n)) {
    throw new RangeError('satp: MODE Bare needs ASID 0 and PPN 0');
  }
  return (BigInt(mode) << 60n) | (BigInt(asid) << 44n) | (root >> 12n);
}

/** Splits a `satp` value (a guest's, say) into MODE, ASID and the root table PA, e.g. to adopt it with `fromRoot`. */
export function parseSatp(value: AddrLike): SatpFields {
  const v = toBigInt(toAddrValue(value, 'satp'));
  return {
    mode: Number(v >> 60n),
    asid: Number((v >> 44n) & 0xffffn),
    root: fromBigUnchecked((v & 0xfff_ffff_ffffn) << 12n) as PhysAddr,
  };
}
