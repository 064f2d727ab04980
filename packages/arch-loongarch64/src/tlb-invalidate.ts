/**
 * The LoongArch64 TLB maintenance instructions over the architectural TLB
 * and the software TLB in front of it: INVTLB (ops 0..6), TLBCLR, TLBFLUSH,
 * TLBFILL, TLBWR, TLBRD, TLBSRCH, and the STLBPS write that empties the STLB
 * (LoongArch Reference Manual Vol. 1, "TLB Maintenance Instructions").
 * Whatever drops or replaces an entry also drops the software-TLB pages
 * cached from it.
 *
 * @module
 */

import type { SoftTlb } from '@page-table/core';
import { toAddrValue, type VirtAddr } from '@page-table/memory-addr';
import { reg64 } from './registers.js';
import { type LA64TlbEntry, type LA64TlbEntryInfo, type La64Tlb, pow2 } from './tlb.js';

const TWO32 = 4294967296;

/** INVTLB op codes (the instruction's `op` immediate). */
const INVTLB_ALL = 1;
const INVTLB_GLOBAL = 2;
const INVTLB_NON_GLOBAL = 3;
const INVTLB_ASID = 4;
const INVTLB_ASID_VA = 5;
const INVTLB_GLOBAL_OR_ASID_VA = 6;

/**
 * SoftTlb level of the 4 KiB pages cached from an entry of page size 2^ps:
 * the smallest whose block (2^(12+9·level)) holds the whole pair, so that one
 * `flushVa` drops them all; 0 for a 4 KiB pair (two `flushVa`s).
 */
export function softLevel(ps: number): number {
  return ps === 12 ? 0 : Math.ceil((ps + 1 - 12) / 9);
}

interface CheckedEntry {
  va48: number;
  ps: number;
  asid: number;
  lo0: number;
  hi0: number;
  lo1: number;
  hi1: number;
}

/** The instructions. Internal to `LA64Mmu`. */
export class LA64TlbInstructions {
  private readonly vaHiMask: number;

  constructor(
    /** The architectural TLB. */
    readonly tlb: La64Tlb,
    /** The software TLB of 4 KiB pages in front of it. */
    readonly soft: SoftTlb,
    /** VALEN. */
    readonly valen: number,
  ) {
    this.vaHiMask = 2 ** (valen - 32) - 1;
  }

  /** The low VALEN bits of VA (hi, lo) as a number, the TLB's VA form. */
  va48(hi: number, lo: number): number {
    return (hi & this.vaHiMask) * TWO32 + lo;
  }

  /** INVTLB `op`, ASID `a`, VA (hi, lo); false (nothing changed) for a reserved op. */
  invtlb(op: number, a: number, hi: number, lo: number): boolean {
    if (!Number.isInteger(op) || op < 0 || op > INVTLB_GLOBAL_OR_ASID_VA) return false;
    const t = this.tlb;
    if (op < INVTLB_ASID_VA) {
      for (let i = 0; i < t.size; i++) {
        if (t.e[i] === 0) continue;
        const g = t.g[i] !== 0;
        if (
          op <= INVTLB_ALL ||
          (op === INVTLB_GLOBAL && g) ||
          (op === INVTLB_NON_GLOBAL && !g) ||
          (op === INVTLB_ASID && !g && t.asid[i] === a)
        )
          t.invalidate(i);
      }
      if (op === INVTLB_NON_GLOBAL) this.soft.flushNonGlobal();
      else if (op === INVTLB_ASID) this.soft.flushNonGlobal(a);
      else this.soft.flushAll();
      return true;
    }
    const va48 = this.va48(hi, lo);
    for (let i = 0; i < t.size; i++) {
      if (t.e[i] === 0 || Math.floor(va48 / pow2(t.ps[i] + 1)) !== t.vpn2[i]) continue;
      const g = t.g[i] !== 0;
      if (op === INVTLB_ASID_VA ? !g && t.asid[i] === a : g || t.asid[i] === a) this.drop(i);
    }
    return true;
  }

  /** TLBFILL of `entry` (untagged entries take `asid`): the index written. */
  tlbfill(entry: LA64TlbEntry, asid: number): number {
    const e = this.checkEntry(entry, asid);
    const i = this.tlb.victim(e.va48, e.ps);
    this.store(i, e, false);
    return i;
  }

  /** TLBWR of `entry` at `index` (an STLB slot takes PS = STLBPS). */
  tlbwr(index: number, entry: LA64TlbEntry, asid: number): void {
    this.checkIndex(index);
    const e = this.checkEntry(entry, asid);
    if (index < this.tlb.mtlbStart) e.ps = this.tlb.stlbps;
    this.store(index, e, entry.ne === true);
  }

  /** TLBRD: the entry at `index`, or `undefined` when E = 0. */
  tlbrd(index: number): LA64TlbEntryInfo | undefined {
    this.checkIndex(index);
    return this.tlb.e[index] === 0 ? undefined : this.entryInfo(index);
  }

  /** TLBSRCH: the index of the entry matching VA (hi, lo) for `asid`, or -1. */
  tlbsrch(hi: number, lo: number, asid: number): number {
    return this.tlb.find(this.va48(hi, lo), asid);
  }

  /**
   * TLBCLR (`asid` ≥ 0: the G=0 entries of that ASID) or TLBFLUSH (`asid`
   * -1: every entry) of the STLB set `index` falls in, or of the whole MTLB.
   */
  clear(index: number, asid: number): void {
    this.checkIndex(index);
    const t = this.tlb;
    if (index < t.mtlbStart) {
      const set = index % t.sets;
      for (let w = 0; w < t.ways; w++) this.clearOne(w * t.sets + set, asid);
    } else {
      for (let i = t.mtlbStart; i < t.size; i++) this.clearOne(i, asid);
    }
  }

  /** STLBPS written with PS `ps`: a new size empties the STLB and the software TLB. */
  setStlbps(ps: number): void {
    const t = this.tlb;
    if (ps === t.stlbps) return;
    t.stlbps = ps;
    t.invalidateStlb();
    this.soft.flushAll();
  }

  /** The slot the MMU's own refill TLBFILLs for `va48` and page size `ps`, its old pages dropped from the software TLB. */
  refillSlot(va48: number, ps: number): number {
    const i = this.tlb.victim(va48, ps);
    if (this.tlb.e[i] !== 0) this.dropSoft(i);
    return i;
  }

  /** Entry `i` as TLBRD reads it (`index` -1 for the scratch slot). */
  entryInfo(i: number): LA64TlbEntryInfo {
    const t = this.tlb;
    const ps = t.ps[i];
    const base = t.vpn2[i] * pow2(ps + 1);
    const signBit = 2 ** (this.valen - 1);
    const ehi = base >= signBit ? (BigInt(base) | ~((1n << BigInt(this.valen)) - 1n)) & 0xffff_ffff_ffff_ffffn : base;
    const big = (hi: number, lo: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    return {
      index: i === t.scratch ? -1 : i,
      ehi: toAddrValue(ehi, 'ehi') as VirtAddr,
      ps,
      asid: t.asid[i],
      g: t.g[i] !== 0,
      elo0: big(t.hi0[i], t.lo0[i]),
      elo1: big(t.hi1[i], t.lo1[i]),
    };
  }

  private clearOne(i: number, asid: number): void {
    const t = this.tlb;
    if (t.e[i] !== 0 && (asid < 0 || (t.g[i] === 0 && t.asid[i] === asid))) this.drop(i);
  }

  /** Invalidates TLB entry i and every software-TLB page cached from it. */
  private drop(i: number): void {
    this.dropSoft(i);
    this.tlb.invalidate(i);
  }

  /** Drops the software-TLB pages cached from entry i (and possibly others nearby: over-flushing is harmless). */
  private dropSoft(i: number): void {
    const t = this.tlb;
    const ps = t.ps[i];
    const base = t.vpn2[i] * pow2(ps + 1);
    let hi = Math.floor(base / TWO32);
    const lo = base - hi * TWO32; // not `base % TWO32`: a runtime call on a double
    if (hi > this.vaHiMask >>> 1) hi = (hi | ~this.vaHiMask) >>> 0;
    this.soft.flushVa(hi, lo);
    if (softLevel(ps) === 0) this.soft.flushVa(hi, lo + 4096);
  }

  private store(i: number, e: CheckedEntry, ne: boolean): void {
    if (this.tlb.e[i] !== 0) this.dropSoft(i);
    this.tlb.write(i, e.va48, e.ps, e.asid, e.lo0, e.hi0, e.lo1, e.hi1, ne);
  }

  private checkEntry(entry: LA64TlbEntry, asid: number): CheckedEntry {
    const ps = entry.ps;
    if (!Number.isInteger(ps) || ps < 12 || ps > this.valen - 1) {
      throw new RangeError(`loongarch64: TLB entry PS must be an integer in 12..${this.valen - 1}, got ${ps}`);
    }
    const [hi, lo] = reg64(entry.ehi, 'ehi');
    const [hi0, lo0] = reg64(entry.elo0, 'elo0');
    const [hi1, lo1] = reg64(entry.elo1, 'elo1');
    return {
      va48: this.va48(hi, lo),
      ps,
      asid: entry.asid === undefined ? asid : entry.asid & 0x3ff,
      lo0,
      hi0,
      lo1,
      hi1,
    };
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.tlb.size) {
      throw new RangeError(`loongarch64: TLB index must be an integer in 0..${this.tlb.size - 1}, got ${index}`);
    }
  }
}
