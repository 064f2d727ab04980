/**
 * The RISC-V MMU's debug walk: the walk `translate` would do, reported in
 * core's debug-report shape plus the scheme, the effective privilege, the
 * leaf's permissions and size, and the A/D write it skipped. Side-effect
 * free: guest RAM, the TLB and the MMU's counters are untouched.
 *
 * @module
 */

import {
  type Access,
  checkAccess,
  type DebugTranslation,
  type EntryUpdate,
  isVa32,
  MappingFlags,
  PageSize,
  vaHalves,
  type WalkStep,
} from '@page-table/core';
import { type AddrLike, fromHalves, type PhysAddr, type VirtAddr } from '@page-table/memory-addr';
import { accessFaultCause, pageFaultCause, type RiscvCause, type RiscvFault } from './fault.js';
import type { SvMode } from './metadata.js';
import { effectivePriv, isCanonicalHi, MODE_NAMES, type RiscvMmuConfig, type RiscvPriv } from './mmu-config.js';
import { effectiveFlags, PERM_NAPOT } from './mmu-rights.js';
import { type RiscvWalkState, walkRiscv } from './mmu-walk.js';

/** The A/D write a debug walk found `translate` would make (and did not make). */
export interface RiscvAdUpdate {
  /** PA of the leaf entry. */
  readonly entryPaddr: PhysAddr;
  /** The entry as read. */
  readonly before: bigint;
  /** The entry `translate` would write (A set, and D on a store). */
  readonly after: bigint;
}

/** {@link RiscvMmu.debugTranslate}'s report: the core shape plus the scheme used and the A/D write it skipped. */
export interface RiscvDebugTranslation extends DebugTranslation<RiscvFault> {
  /** Translation scheme applied: `Bare` when `satp.MODE` is Bare or the effective privilege is M. */
  readonly mode: SvMode | 'Sv32' | 'Bare';
  /** Effective privilege of the access (after MPRV). */
  readonly priv: RiscvPriv;
  /** The A/D update `translate` would write, if any. */
  readonly adUpdate?: RiscvAdUpdate;
  /**
   * Effective permissions of the leaf the walk reached, at the effective
   * privilege under SUM and MXR — also when the access asked about faulted
   * after reaching it (permission, misaligned superpage, Svade A/D, PMP).
   * Absent when no leaf was reached, and for untranslated (Bare / M-mode) accesses.
   */
  readonly permissions?: MappingFlags;
  /** Size of the leaf the walk reached, when it reached one (64 KiB for a Svnapot leaf, 4 MiB for an Sv32 megapage). */
  readonly leafSize?: PageSize;
}

const TWO32 = 4294967296;
/** Leaf sizes per level (512 GiB and 256 TiB are beyond core's PageSize names). */
export const LEAF_SIZES: readonly number[] = [0x1000, 0x20_0000, 0x4000_0000, 2 ** 39, 2 ** 48];
/** Size of a Svnapot leaf. */
export const NAPOT_SIZE = 0x1_0000;

/** Size of a leaf at `level` with TLB perm word `perm` (`sv32`: a level-1 leaf is a 4 MiB megapage). */
export function leafSize(level: number, perm: number, sv32: boolean): PageSize {
  if (sv32 && level === 1) return PageSize.Size4M;
  return ((perm & PERM_NAPOT) !== 0 ? NAPOT_SIZE : LEAF_SIZES[level]) as PageSize;
}

function hex(x: number): string {
  return `0x${x.toString(16)}`;
}

/** The debug walk of `access` at `va` under `cfg` (see the module); `s` is scratch. */
export function riscvDebugReport(
  s: RiscvWalkState,
  cfg: RiscvMmuConfig,
  va: AddrLike,
  access: Access,
): RiscvDebugTranslation {
  checkAccess(access);
  const [vaHi, lo] = vaHalves(va, 'RiscvMmu');
  // An RV32 VA is 32 bits, zero- or sign-extended.
  const outside = (vaHi & cfg.rv32Mask) !== 0 && !isVa32(vaHi, lo);
  const hi = outside ? vaHi : (vaHi & cfg.hiMask) >>> 0;
  const vaddr = fromHalves(hi, lo) as VirtAddr;
  const p = effectivePriv(cfg, access);
  const pmp = s.hart.pmp;
  const steps: WalkStep[] = [];
  const fault = (
    cause: RiscvCause,
    stop: string,
    mode: SvMode | 'Sv32' | 'Bare',
    reason: string,
    level = -1,
  ): RiscvDebugTranslation => ({
    va: vaddr,
    access,
    steps,
    updates: [],
    result: { fault: { cause, tval: vaddr } },
    stopLevel: level,
    stopReason: reason,
    stop,
    mode,
    priv: p,
  });
  if (outside) {
    return fault(
      pageFaultCause(access),
      'VA is not a 32-bit address (nor one sign-extended)',
      MODE_NAMES[cfg.mode],
      'non-canonical',
    );
  }
  if (p === 3 || cfg.levels === 0) {
    if (hi >= 0x20_0000)
      return fault(accessFaultCause(access), 'PA at or above 2^53 (outside physical memory)', 'Bare', 'access-fault');
    const pa = hi * TWO32 + lo;
    if (pmp !== undefined && !pmp(pa, access, p))
      return fault(accessFaultCause(access), 'PMP/PMA denies the access', 'Bare', 'access-fault');
    const flags = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE;
    return {
      va: vaddr,
      access,
      steps,
      updates: [],
      result: { paddr: pa as PhysAddr, size: 0x1000, flags },
      mode: 'Bare',
      priv: p,
    };
  }
  const mode = MODE_NAMES[cfg.mode];
  if (!isCanonicalHi(cfg, hi)) {
    const top = 9 * cfg.levels + 11;
    return fault(
      pageFaultCause(access),
      `VA not canonical for ${mode} (bits 63..${top + 1} must equal bit ${top})`,
      mode,
      'non-canonical',
    );
  }
  const r = walkRiscv(s, cfg, hi, lo, access, p, true, steps);
  // The leaf reached, if any: its effective permissions and size, reported on success and fault alike.
  const perm = s.perm;
  const leaf = s.leaf
    ? { permissions: effectiveFlags(cfg.rights, perm, p), leafSize: leafSize(s.level, perm, cfg.sv32) }
    : {};
  if (r < 0) {
    const why = `${s.why} at level ${s.level} (entry ${hex(s.entryPa)})`;
    return {
      ...fault(s.cause as RiscvCause, why, mode, s.leaf ? 'permission' : 'invalid-entry', s.level),
      ...leaf,
    };
  }
  const pa = s.frame * 4096 + (lo & 0xfff);
  const adUpdate: RiscvAdUpdate | undefined = s.ad
    ? { entryPaddr: s.entryPa as PhysAddr, before: s.before, after: s.after }
    : undefined;
  const ad = adUpdate === undefined ? {} : { adUpdate };
  const updates: EntryUpdate[] = adUpdate === undefined ? [] : [{ level: s.level, ...adUpdate }];
  if (pmp !== undefined && !pmp(pa, access, p)) {
    return {
      ...fault(accessFaultCause(access), 'PMP/PMA denies the access', mode, 'access-fault', s.level),
      ...leaf,
      ...ad,
      updates,
    };
  }
  const result = {
    paddr: pa as PhysAddr,
    size: leafSize(s.level, perm, cfg.sv32),
    flags: effectiveFlags(cfg.rights, perm, p),
  };
  return { va: vaddr, access, steps, updates, result, mode, priv: p, ...leaf, ...ad };
}
