/**
 * The AArch64 TLB maintenance instructions on the MMU's software TLB, named
 * after them (Arm ARM D8.13 "TLB maintenance", C5.5 "A64 system
 * instructions for TLB maintenance"): TLBI VMALLE1, ASIDE1, VAE1, VAAE1,
 * ALLE2, VAE2 (the last-level and Inner Shareable forms drop the same
 * entries here: the TLB holds leaves only, and there is one PE), and the
 * TLB tag each regime's translations are cached under.
 *
 * @module
 */

import { registerHalves, type SoftTlb } from '@page-table/core';
import { fromHalves, type VirtAddr } from '@page-table/memory-addr';
import type { A64Regime, A64VaRange } from './mmu-regime.js';

/**
 * XOR-ed into VA[55:32] to make the TLB tag of an EL2-regime translation:
 * top byte 0x01 (EL1&0 tags have 0x00 or 0xff), and low bits that send it to
 * another slot than the EL1&0 translation of the same VA.
 */
const EL2_TAG = 0x0100_00a5;

/** The TLB tag's high word of an EL1&0 VA: bits 63..56 replaced by VA[55] (the same for every VA TBI may alias). */
export function tagHi(hi: number): number {
  return (hi >>> 23) & 1 ? (hi | 0xff00_0000) >>> 0 : hi & 0x00ff_ffff;
}

/** The TLB tag's high word of a VA in range `rg`: {@link tagHi} for EL1&0, a marked tag for EL2. */
export function rangeTagHi(rg: A64VaRange, hi: number): number {
  return rg.id === 1 ? (hi | 0xff00_0000) >>> 0 : rg.id === 0 ? hi & 0x00ff_ffff : (hi & 0x00ff_ffff) ^ EL2_TAG;
}

/** TLBI VMALLE1 (and ALLE1, ALLE2: the TLB cannot drop one regime alone, and dropping more is allowed): everything. */
export function tlbiVmalle1(tlb: SoftTlb | undefined): void {
  tlb?.flushAll();
}

/** TLBI ASIDE1: the non-global translations of `asid`, masked to the regime's ASID size. */
export function tlbiAside1(tlb: SoftTlb | undefined, g: A64Regime, asid: number): void {
  tlb?.flushNonGlobal((asid & g.asidMask) >>> 0);
}

/**
 * TLBI VAE1 (`asid` given) or VAAE1 (`asid` undefined): the translations of
 * the page or block holding `va` that are global or of that ASID (any ASID
 * for VAAE1). Bits 63..56 of `va` are ignored; VA[55] selects the range.
 */
export function tlbiVae1(tlb: SoftTlb | undefined, g: A64Regime, va: unknown, asid: number | undefined): void {
  if (tlb === undefined) return;
  const [hi, lo] = registerHalves(va, 'aarch64 MMU', 'VA');
  tlb.flushVa(tagHi(hi), lo, asid === undefined ? undefined : (asid & g.asidMask) >>> 0, true);
}

/** TLBI VAE2: the EL2-regime translation of the page or block holding `va`. */
export function tlbiVae2(tlb: SoftTlb | undefined, va: unknown): void {
  if (tlb === undefined) return;
  const [hi, lo] = registerHalves(va, 'aarch64 MMU', 'VA');
  tlb.flushVa((hi & 0x00ff_ffff) ^ EL2_TAG, lo, undefined, true);
}

/**
 * Decodes the Xt operand of TLBI VAE1, VAAE1, VALE1, VAALE1 (and their IS
 * forms): VA[55:12] in Xt[43:0] (bits 63..56 copied from VA[55]), ASID in
 * Xt[63:48] (RES0 for the all-ASID forms). TTL (Xt[47:44], FEAT_TTL) is a
 * hint and is ignored.
 */
export function tlbiOperand(xt: number | bigint): {
  /** The page's VA: Xt[43:0] shifted left by 12, bits 63..56 copied from VA[55] so it selects the same range. */
  readonly va: VirtAddr;
  /** The ASID, Xt[63:48] (all 16 bits; the MMU ignores the upper 8 unless TCR_EL1.AS). */
  readonly asid: number;
} {
  const [hi, lo] = registerHalves(xt, 'aarch64 MMU', 'TLBI operand');
  // Xt[43:0] << 12: VA bits 55..12.
  const vhi = (((hi & 0xfff) << 12) | (lo >>> 20)) >>> 0;
  const vlo = (lo << 12) >>> 0;
  return { va: fromHalves(tagHi(vhi), vlo) as VirtAddr, asid: hi >>> 16 };
}
