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
import type { LA64TlbEntry, LA64TlbEntryInfo, La64Tlb } from './tlb.js';

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
  /** TLBEHI bits [VALEN-1:32]. */
  vhi: number;
  /** TLBEHI bits [31:12]. */
  vlo: number;
  ps: number;
  asid: number;
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

  /** VA bits [VALEN-1:32] of a VA whose high word is `hi`: with `lo >>> 12`, the TLB's form of a VA. */
  vhi(hi: number): number {
    return hi & this.vaHiMask;
  }

  /** INVTLB `op`, ASID `a`, VA (hi, lo); false (nothing changed) for a reserved op. */
  invtlb(op: number, a: number, hi: number, lo: number): boolean {
    if (!Number.isInteger(op) || op < 0 || op > INVTLB_GLOBAL_OR_ASID_VA) return false;
    const t = this.tlb;
    if (op < INVTLB_ASID_VA) {
      for (let i = 0; i < t.size; i++) {
        if (!t.exists(i)) continue;
        const g = t.global(i);
        if (
          op <= INVTLB_ALL ||
          (op === INVTLB_GLOBAL && g) ||
          (op === INVTLB_NON_GLOBAL && !g) ||
          (op === INVTLB_ASID && !g && t.asid(i) === a)
        )
          t.invalidate(i);
      }
      if (op === INVTLB_NON_GLOBAL) this.soft.flushNonGlobal();
      else if (op === INVTLB_ASID) this.soft.flushNonGlobal(a);
      else this.soft.flushAll();
      return true;
    }
    const vhi = this.vhi(hi);
    const vlo = lo >>> 12;
    for (let i = 0; i < t.size; i++) {
      if (!t.holds(i, vhi, vlo)) continue;
      const g = t.global(i);
      if (op === INVTLB_ASID_VA ? !g && t.asid(i) === a : g || t.asid(i) === a) this.drop(i);
    }
    return true;
  }

  /** TLBFILL of `entry` (untagged entries take `asid`): the index written. */
  tlbfill(entry: LA64TlbEntry, asid: number): number {
    const e = this.checkEntry(entry, asid);
    const i = this.tlb.victim(e.vhi, e.vlo, e.ps);
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
    return this.tlb.exists(index) ? this.entryInfo(index) : undefined;
  }

  /** TLBSRCH: the index of the entry matching VA (hi, lo) for `asid`, or -1. */
  tlbsrch(hi: number, lo: number, asid: number): number {
    return this.tlb.find(this.vhi(hi), lo >>> 12, asid);
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

  /** The slot the MMU's own refill TLBFILLs for the VA (`vhi`, `vlo`) and page size `ps`, its old pages dropped from the software TLB. */
  refillSlot(vhi: number, vlo: number, ps: number): number {
    const i = this.tlb.victim(vhi, vlo, ps);
    if (this.tlb.exists(i)) this.dropSoft(i);
    return i;
  }

  /** Entry `i` as TLBRD reads it (`index` -1 for the scratch slot). */
  entryInfo(i: number): LA64TlbEntryInfo {
    const t = this.tlb;
    const base = t.base(i);
    const signBit = 2 ** (this.valen - 1);
    const ehi = base >= signBit ? (BigInt(base) | ~((1n << BigInt(this.valen)) - 1n)) & 0xffff_ffff_ffff_ffffn : base;
    return {
      index: i === t.scratch ? -1 : i,
      ehi: toAddrValue(ehi, 'ehi') as VirtAddr,
      ps: t.ps(i),
      asid: t.asid(i),
      g: t.global(i),
      elo0: t.elo64(i, false),
      elo1: t.elo64(i, true),
    };
  }

  private clearOne(i: number, asid: number): void {
    const t = this.tlb;
    if (t.exists(i) && (asid < 0 || (!t.global(i) && t.asid(i) === asid))) this.drop(i);
  }

  /** Invalidates TLB entry i and every software-TLB page cached from it. */
  private drop(i: number): void {
    this.dropSoft(i);
    this.tlb.invalidate(i);
  }

  /** Drops the software-TLB pages cached from entry i (and possibly others nearby: over-flushing is harmless). */
  private dropSoft(i: number): void {
    const t = this.tlb;
    let hi = t.baseHi(i);
    const lo = t.baseLo(i);
    if (hi > this.vaHiMask >>> 1) hi = (hi | ~this.vaHiMask) >>> 0;
    // One call site, so that it is inlined: a half above 2^30 passed to a call is a heap number.
    const pages = softLevel(t.ps(i)) === 0 ? 2 : 1;
    for (let k = 0; k < pages; k++) this.soft.flushVa(hi, lo + k * 4096);
  }

  private store(i: number, e: CheckedEntry, ne: boolean): void {
    if (this.tlb.exists(i)) this.dropSoft(i);
    this.tlb.write(i, e.vhi, e.vlo, e.ps, e.asid, ne, e.ps);
  }

  private checkEntry(entry: LA64TlbEntry, asid: number): CheckedEntry {
    const ps = entry.ps;
    if (!Number.isInteger(ps) || ps < 12 || ps > this.valen - 1) {
      throw new RangeError(`loongarch64: TLB entry PS must be an integer in 12..${this.valen - 1}, got ${ps}`);
    }
    const [hi, lo] = reg64(entry.ehi, 'ehi');
    const [hi0, lo0] = reg64(entry.elo0, 'elo0');
    const [hi1, lo1] = reg64(entry.elo1, 'elo1');
    const elo = this.tlb.elo;
    elo[0] = lo0;
    elo[1] = hi0;
    elo[2] = lo1;
    elo[3] = hi1;
    return { vhi: this.vhi(hi), vlo: lo >>> 12, ps, asid: entry.asid === undefined ? asid : entry.asid & 0x3ff };
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.tlb.size) {
      throw new RangeError(`loongarch64: TLB index must be an integer in 0..${this.tlb.size - 1}, got ${index}`);
    }
  }
}
