/**
 * The TLB maintenance operations of the ARMv7 MMU's software TLB, named after
 * the CP15 instructions (Arm ARM B4.2, TLB maintenance operations), each
 * taking the value written to Rt:
 *
 * - TLBIALL: every entry;
 * - TLBIMVA: the entry of MVA[31:12] for ASID [7:0], and global entries of that MVA;
 * - TLBIASID: every non-global entry of ASID [7:0];
 * - TLBIMVAA: the entries of MVA[31:12] for every ASID.
 *
 * An entry cached from a section, supersection, large page or block is
 * dropped by any MVA inside it.
 *
 * @module
 */

import type { SoftTlb } from '@page-table/core';

/** TLBIALL: invalidates the entire unified TLB. */
export function tlbiall(tlb: SoftTlb): void {
  tlb.flushAll();
}

/** TLBIMVA with Rt = MVA[31:12] | ASID[7:0]. */
export function tlbimva(tlb: SoftTlb, rt: number): void {
  tlb.flushVa(0, rt & 0xffff_f000, rt & 0xff, true);
}

/** TLBIASID with Rt = ASID[7:0]. */
export function tlbiasid(tlb: SoftTlb, rt: number): void {
  tlb.flushNonGlobal(rt & 0xff);
}

/** TLBIMVAA with Rt = MVA[31:12]: every ASID, global entries included. */
export function tlbimvaa(tlb: SoftTlb, rt: number): void {
  tlb.flushVa(0, rt & 0xffff_f000);
}
