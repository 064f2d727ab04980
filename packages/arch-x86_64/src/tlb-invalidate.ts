/**
 * The x86_64 TLB-invalidating operations on the MMU's software TLB, named
 * after the instructions (SDM Vol. 3A §4.10.4.1 "Operations that Invalidate
 * TLBs and Paging-Structure Caches"; Vol. 2 INVLPG, INVPCID, MOV to CR3).
 *
 * @module
 */

import type { SoftTlb } from '@page-table/core';
import { isCanonicalHi, MODE_LONG, type X64MmuConfig } from './mmu-config.js';

/**
 * MOV to CR3 (with `cfg` the state after the write): with CR4.PCIDE = 0
 * drops every non-global translation; with PCIDE = 1 drops the non-global
 * translations of the new PCID unless bit 63 of the value (`noFlush`) was set.
 */
export function movToCr3(tlb: SoftTlb, cfg: X64MmuConfig, noFlush: boolean): void {
  if (!cfg.pcide) tlb.flushNonGlobal();
  else if (!noFlush) tlb.flushNonGlobal(cfg.asid);
}

/**
 * INVLPG: drops the translation of the page containing VA (hi, lo) — every
 * cached 4 KiB piece of a 2 MiB / 1 GiB / 4 MiB page — for the current PCID,
 * and global translations of that page for any PCID. A non-canonical VA is a
 * no-op; outside IA-32e mode the VA is a 32-bit linear address.
 */
export function invlpg(tlb: SoftTlb, cfg: X64MmuConfig, hi: number, lo: number): void {
  if (cfg.mode !== MODE_LONG) tlb.flushVa(0, lo, cfg.asid, true);
  else if (isCanonicalHi(cfg, hi)) tlb.flushVa(hi, lo, cfg.asid, true);
}

/**
 * INVPCID: type 0 drops the non-global translation of VA (hi, lo) for
 * `pcid`; type 1 every non-global translation of `pcid`; type 2 everything,
 * global included; type 3 everything but global translations. Returns false,
 * changing nothing, where the instruction raises #GP(0): a type above 3, a
 * PCID above 4095, a non-canonical VA with type 0, or type 1 with a nonzero
 * PCID while CR4.PCIDE = 0.
 */
export function invpcid(tlb: SoftTlb, cfg: X64MmuConfig, type: number, pcid: number, hi: number, lo: number): boolean {
  if (!Number.isInteger(pcid) || pcid < 0 || pcid > 0xfff) return false;
  switch (type) {
    case 0:
      if (!isCanonicalHi(cfg, hi)) return false;
      tlb.flushVa(hi, lo, pcid, false);
      return true;
    case 1:
      if (pcid !== 0 && !cfg.pcide) return false;
      tlb.flushAsid(pcid, false);
      return true;
    case 2:
      tlb.flushAll();
      return true;
    case 3:
      tlb.flushNonGlobal();
      return true;
    default:
      return false;
  }
}
