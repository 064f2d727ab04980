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
import { type AddrLike, fromHalves, type VirtAddr } from '@page-table/memory-addr';
import type { A64Regime, A64VaRange } from './mmu-regime.js';
import { A64MmuRegisterFile } from './mmu-registers.js';

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

/**
 * The TLBI instructions of an `A64Mmu`'s CPU state (Arm ARM C5.5), each
 * emptying the micro-TLBs too: the base of `A64Mmu`, apart so each file
 * holds one concept.
 */
export class A64TlbMaintenance extends A64MmuRegisterFile {
  /** TLBI VMALLE1: invalidates every EL1&0 translation (all ASIDs, global ones too). */
  tlbiVmalle1(): void {
    tlbiVmalle1(this.tlb);
    this.micro.drop();
  }

  /** TLBI VMALLE1IS: {@link tlbiVmalle1} (one PE here, so the Inner Shareable broadcast is the same). */
  tlbiVmalle1is(): void {
    this.tlbiVmalle1();
  }

  /** TLBI ALLE1 (from EL2): every EL1&0 translation; the same as {@link tlbiVmalle1} without stage 2. */
  tlbiAlle1(): void {
    this.tlbiVmalle1();
  }

  /** TLBI ASIDE1: invalidates the non-global translations of `asid` (Xt[63:48]; its upper 8 bits are ignored unless TCR.AS). */
  tlbiAside1(asid: number): void {
    tlbiAside1(this.tlb, this.el1, asid);
    this.micro.drop();
  }

  /** TLBI ASIDE1IS: {@link tlbiAside1}. */
  tlbiAside1is(asid: number): void {
    this.tlbiAside1(asid);
  }

  /**
   * TLBI VAE1: invalidates the translations of the page (or the whole block)
   * holding `va` that are global or tagged with `asid`. `va` is the address
   * (bits 63..56 are ignored, VA[55] selects the range), not the Xt operand:
   * {@link tlbiOperand} decodes one.
   */
  tlbiVae1(va: AddrLike, asid: number): void {
    tlbiVae1(this.tlb, this.el1, va, asid);
    this.micro.drop();
  }

  /** TLBI VAE1IS: {@link tlbiVae1}. */
  tlbiVae1is(va: AddrLike, asid: number): void {
    this.tlbiVae1(va, asid);
  }

  /** TLBI VAAE1: invalidates the translations of the page or block holding `va` for every ASID. */
  tlbiVaae1(va: AddrLike): void {
    tlbiVae1(this.tlb, this.el1, va, undefined);
    this.micro.drop();
  }

  /** TLBI VAAE1IS: {@link tlbiVaae1}. */
  tlbiVaae1is(va: AddrLike): void {
    this.tlbiVaae1(va);
  }

  /**
   * TLBI VALE1: last level only. This TLB holds only leaf translations (no
   * walk cache), so it drops exactly what {@link tlbiVae1} drops.
   */
  tlbiVale1(va: AddrLike, asid: number): void {
    this.tlbiVae1(va, asid);
  }

  /** TLBI VALE1IS: {@link tlbiVale1}. */
  tlbiVale1is(va: AddrLike, asid: number): void {
    this.tlbiVae1(va, asid);
  }

  /** TLBI VAALE1: last level, any ASID; the same as {@link tlbiVaae1} here. */
  tlbiVaale1(va: AddrLike): void {
    this.tlbiVaae1(va);
  }

  /** TLBI VAALE1IS: {@link tlbiVaale1}. */
  tlbiVaale1is(va: AddrLike): void {
    this.tlbiVaae1(va);
  }

  /**
   * TLBI ALLE2: every EL2-regime translation. The TLB cannot drop one regime
   * alone, so this flushes everything (dropping more is always allowed).
   */
  tlbiAlle2(): void {
    this.tlbiVmalle1();
  }

  /** TLBI ALLE2IS: {@link tlbiAlle2}. */
  tlbiAlle2is(): void {
    this.tlbiAlle2();
  }

  /** TLBI VAE2: the EL2-regime translation of the page or block holding `va`. */
  tlbiVae2(va: AddrLike): void {
    tlbiVae2(this.tlb, va);
    this.micro.drop();
  }

  /** TLBI VAE2IS: {@link tlbiVae2}. */
  tlbiVae2is(va: AddrLike): void {
    this.tlbiVae2(va);
  }

  /** TLBI VALE2: last level only; the same as {@link tlbiVae2} here (no walk cache). */
  tlbiVale2(va: AddrLike): void {
    this.tlbiVae2(va);
  }

  /** TLBI VALE2IS: {@link tlbiVale2}. */
  tlbiVale2is(va: AddrLike): void {
    this.tlbiVae2(va);
  }
}
