/**
 * SFENCE.VMA on the MMU's software TLB (privileged spec, "Supervisor
 * Memory-Management Fence Instruction"): the four rs1/rs2 forms.
 *
 * @module
 */

import type { SoftTlb } from '@page-table/core';
import { isCanonicalHi, type RiscvMmuConfig } from './mmu-config.js';

/**
 * SFENCE.VMA x0, rs2 (`asid` undefined for rs2 = x0): everything, or every
 * non-global translation of `asid`. Returns whether everything was dropped.
 */
export function sfenceVmaAll(tlb: SoftTlb, asid: number | undefined): boolean {
  if (asid === undefined) {
    tlb.flushAll();
    return true;
  }
  tlb.flushNonGlobal(asid);
  return false;
}

/**
 * SFENCE.VMA rs1, rs2 with VA (hi, lo) in rs1 (`asid` undefined for rs2 =
 * x0): the leaf for the VA in every ASID, global ones included, or the leaf
 * of `asid`, not global ones. A VA not canonical for `cfg`'s mode is a no-op.
 * `bigCached` says the TLB may hold 512 GiB / 256 TiB leaves, which
 * `SoftTlb.flushVa` cannot match (it compares whole high words): then the
 * rs1 = x0 form runs instead. Returns whether everything was dropped.
 */
export function sfenceVmaVa(
  tlb: SoftTlb,
  cfg: RiscvMmuConfig,
  bigCached: boolean,
  hi: number,
  lo: number,
  asid: number | undefined,
): boolean {
  if (!isCanonicalHi(cfg, hi)) return false;
  if (bigCached) return sfenceVmaAll(tlb, asid);
  if (asid === undefined) tlb.flushVa(hi, lo);
  else tlb.flushVa(hi, lo, asid, false);
  return false;
}
