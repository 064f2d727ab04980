/**
 * The RISC-V emulator MMU: access-checked Sv39/Sv48/Sv57 (RV64) and Sv32 (RV32) translation with the
 * privileged spec's exact faults, hardware A/D updating (Svadu) or A/D faults
 * (Svade), a side-effect-free debug walk and an ASID-tagged software TLB.
 *
 * Sources: RISC-V privileged spec, "Virtual Address Translation Process",
 * "Sv39/Sv48/Sv57", "Memory Privilege in mstatus Register" (MPRV, SUM, MXR),
 * "Supervisor Memory-Management Fence Instruction" (SFENCE.VMA), the Svade,
 * Svadu, Svpbmt and Svnapot chapters; the project's MMU notes (MMU.md §3).
 *
 * @module
 */

import {
  Access,
  accessError,
  checkAccess,
  type EmulatorMmu,
  EntryCas,
  isVa32,
  MappingFlags,
  type MmuFaultReport,
  type MmuInfo,
  type MmuStats,
  newMmuStats,
  type PageSize,
  type PhysMemory,
  resetMmuStats,
  sharedReport,
  type TranslateResult,
  vaHalves,
  vaHi,
  vaLo,
} from '@page-table/core';
import { type AddrLike, fromHalves, type PhysAddr, type VirtAddr } from '@page-table/memory-addr';
import { accessFaultCause, pageFaultCause, type RiscvCause, type RiscvFault } from './fault.js';
import type { RiscvPhysCheck, RiscvPriv } from './mmu-config.js';
import { leafSize, type RiscvDebugTranslation, riscvDebugReport } from './mmu-debug.js';
import { type RiscvMmuOptions, RiscvMmuRegisters } from './mmu-registers.js';
import { describeRiscvFault, RISCV_MMU_INFO } from './mmu-report.js';
import { effectiveFlags, hitIndex } from './mmu-rights.js';
import { RiscvWalkState, WALK_RETRY, walkRiscv } from './mmu-walk.js';
import { sfenceVmaAll, sfenceVmaVa } from './sfence-vma.js';

export { type RiscvPhysCheck, RiscvPriv } from './mmu-config.js';
export type { RiscvAdUpdate, RiscvDebugTranslation } from './mmu-debug.js';
export { type RiscvMmuOptions, RiscvMmuRegisters } from './mmu-registers.js';

const TWO32 = 4294967296;
const RWX = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE;

/**
 * An RV64 hart's MMU over guest RAM (any {@link PhysMemory}, e.g. a
 * `RamHandler` on the emulator's `ArrayBuffer`, `SharedArrayBuffer` or
 * `WebAssembly.Memory`): page tables are read in place, A/D bits are
 * written in place (by compare-and-swap on shared memory).
 *
 * ```ts
 * const mmu = new RiscvMmu(ram, { satp, mstatus, priv: 1, svadu: true });
 * const pa = mmu.translatePa(va, Access.Read); // -1: raise mmu.faultCause with stval = mmu.faultTval
 * ```
 *
 * Follows the privileged spec where QEMU 7.2 differs (see the README).
 */
export class RiscvMmu extends RiscvMmuRegisters implements EmulatorMmu<RiscvFault> {
  /** TLB and fault counters (`hits` + `misses` = translated accesses that reached the TLB). */
  readonly stats: MmuStats = newMmuStats();
  /** Exception code of the last fault of {@link translatePa} / {@link translatePaHalves} / {@link translate} (0 before any). */
  faultCause = 0;
  /** High 32 bits of the last fault's `stval` (the VA). */
  faultTvalHi = 0;
  /** Low 32 bits of the last fault's `stval` (the VA). */
  faultTvalLo = 0;

  private readonly pmp: RiscvPhysCheck | undefined;
  private readonly ws: RiscvWalkState;
  // Last success: TLB-style perm bits, leaf level (-1: untranslated) and privilege.
  private lastPerm = 0;
  private lastLevel = -1;
  private lastPriv: RiscvPriv = 1;
  // The PA of the last success of `slow` (a PA above 2^31 returned from a call is a heap number).
  private slowPa = 0;

  /** An MMU over `mem` in the state `options` gives; throws `RangeError` for a value no hart can hold. */
  constructor(mem: PhysMemory, options: RiscvMmuOptions = {}) {
    super(options);
    this.pmp = this.hart.pmp;
    this.ws = new RiscvWalkState(mem, this.hart, new EntryCas());
  }

  // ------------------------------------------------------------ translation

  /**
   * Translates one access. Allocates its result; the allocation-free forms
   * are {@link translatePa} and {@link translatePaHalves}. `va` is an
   * unsigned 64-bit number or bigint (a negative safe integer is read as its
   * sign-extended 64-bit value).
   */
  translate(va: AddrLike, access: Access): TranslateResult<RiscvFault> {
    checkAccess(access);
    const [hi, lo] = vaHalves(va, 'RiscvMmu');
    const pa = this.translatePaHalves(hi, lo, access);
    if (pa < 0) return { fault: { cause: this.faultCause as RiscvCause, tval: this.faultTval } };
    return { paddr: pa as PhysAddr, size: this.lastSize, flags: this.lastFlags };
  }

  /**
   * The hot path: the PA of an access as a number, or -1 on a fault, whose
   * code is then in {@link faultCause} and VA in {@link faultTvalHi} /
   * {@link faultTvalLo}. `va` is an integer of magnitude at most 2^53;
   * negative values are sign-extended 64-bit VAs (Sv39/Sv48 kernel
   * addresses fit). Allocates nothing.
   */
  translatePa(va: number, access: Access): number {
    return this.translatePaHalves(vaHi(va), vaLo(va), access);
  }

  /** {@link translatePa} with the VA as two 32-bit halves (any 64-bit VA). */
  translatePaHalves(hi: number, lo: number, access: Access): number {
    // Literals, not `Access.*` loads: this test runs on every hit.
    if (access !== 0 && access !== 1 && access !== 2) throw accessError(access);
    const cfg = this.cfg;
    lo >>>= 0;
    // RV32: a VA is 32 bits, zero- or sign-extended (core's isVa32); another value is a page fault, as a non-canonical VA.
    if ((hi & cfg.rv32Mask) !== 0 && !isVa32(hi, lo)) return this.fail(pageFaultCause(access), hi >>> 0, lo);
    hi = (hi & cfg.hiMask) >>> 0;
    const p = access === 2 ? cfg.fetchPriv : cfg.dataPriv;
    // -2: the TLB was not consulted (untranslated or non-canonical), -1: a miss.
    let slot = -2;
    const m = hi & cfg.vaMask;
    if (p >= 0 && (m === 0 || m === cfg.vaMask)) {
      const tlb = this.tlb;
      slot = tlb.lookup(hi, lo, cfg.asid);
      // Permissions are re-checked against the current privilege, SUM and MXR; a store on a clean entry re-walks to set D.
      if (slot >= 0 && cfg.hitOk[hitIndex(p, access, tlb.perm(slot))] !== 0 && this.pmp === undefined) {
        this.stats.hits++;
        this.lastPerm = tlb.perm(slot);
        this.lastLevel = tlb.levelOf(slot);
        this.lastPriv = p as RiscvPriv;
        return tlb.frameOf(slot) * 4096 + (lo & 0xfff);
      }
    }
    // The rest is a call returning 0 / -1 with the PA in a field, so this method stays small enough to be inlined.
    return this.slow(hi, lo, access, slot) < 0 ? -1 : this.slowPa;
  }

  /**
   * Everything but a plain TLB hit: untranslated accesses, the non-canonical
   * fault, a hit checked by PMP, the walk. `slot` is the TLB slot found (-1:
   * none, -2: not looked up). 0 with the PA in `slowPa`, or -1.
   */
  private slow(hi: number, lo: number, access: Access, slot: number): number {
    const cfg = this.cfg;
    if (slot === -2) {
      let q = cfg.priv;
      if (q === 3) {
        if (access === 2 || !cfg.mprv || cfg.mpp === 3) return this.untranslated(hi, lo, access, 3);
        q = cfg.mpp;
      }
      if (cfg.levels === 0) return this.untranslated(hi, lo, access, q);
      return this.fail(pageFaultCause(access), hi, lo);
    }
    // The TLB was consulted: the access is translated, at the privilege the hit path used.
    const p = (access === 2 ? cfg.fetchPriv : cfg.dataPriv) as RiscvPriv;
    const tlb = this.tlb;
    if (slot >= 0) {
      const perm = tlb.perm(slot);
      if (cfg.hitOk[hitIndex(p, access, perm)] !== 0) {
        this.stats.hits++;
        this.lastPerm = perm;
        this.lastLevel = tlb.levelOf(slot);
        return this.finish(tlb.frameOf(slot) * 4096 + (lo & 0xfff), hi, lo, access, p);
      }
    }
    this.stats.misses++;
    const ws = this.ws;
    let r: number;
    do r = walkRiscv(ws, cfg, hi, lo, access, p, false, undefined);
    while (r === WALK_RETRY);
    if (r < 0) return this.fail(ws.cause, hi, lo);
    // An Sv32 megapage is cached with its real size (4 MiB), so SFENCE.VMA of any address in it drops all of it.
    tlb.insert(
      hi,
      lo,
      cfg.asid,
      ws.global,
      ws.frame,
      ws.level,
      ws.perm,
      cfg.sv32 ? 12 + 10 * ws.level : 12 + 9 * ws.level,
    );
    if (ws.level >= 3) this.bigCached = true;
    this.lastPerm = ws.perm;
    this.lastLevel = ws.level;
    return this.finish(ws.frame * 4096 + (lo & 0xfff), hi, lo, access, p);
  }

  /** `stval` of the last fault (the faulting VA). */
  get faultTval(): VirtAddr {
    return fromHalves(this.faultTvalHi, this.faultTvalLo) as VirtAddr;
  }

  /** The last fault as a record, or `undefined` if nothing has faulted yet. */
  get lastFault(): RiscvFault | undefined {
    return this.faultCause === 0 ? undefined : { cause: this.faultCause as RiscvCause, tval: this.faultTval };
  }

  /**
   * Effective permissions of the last successful hot-path translation for
   * the privilege it ran at: READ/WRITE/EXECUTE that access kinds would be
   * allowed, USER for U = 1, DEVICE/UNCACHED from PBMT (Svpbmt).
   * Untranslated accesses (Bare, M-mode) report READ | WRITE | EXECUTE.
   */
  get lastFlags(): MappingFlags {
    if (this.lastLevel < 0) return RWX;
    return effectiveFlags(this.cfg.rights, this.lastPerm, this.lastPriv);
  }

  /**
   * Size of the leaf of the last successful hot-path translation: 4 KiB,
   * 64 KiB (Svnapot), 2 MiB, 1 GiB, 512 GiB (Sv48/57) or 256 TiB (Sv57);
   * the last two and 64 KiB are outside core's `PageSize` names. 4 KiB when
   * untranslated.
   */
  get lastSize(): PageSize {
    return this.lastLevel < 0 ? 0x1000 : leafSize(this.lastLevel, this.lastPerm, this.cfg.sv32);
  }

  /**
   * The walk `translate(va, access)` would do, with every entry read, the
   * outcome and where and why it stopped — always a fresh walk (the TLB is
   * neither consulted nor filled), no A/D write (reported as `adUpdate`), no
   * counter or fault field changed: guest RAM is byte-identical afterwards.
   * When the walk reached a leaf, `permissions` and `leafSize` describe it,
   * also when the access then faulted.
   */
  debugTranslate(va: AddrLike, access: Access = Access.Read): RiscvDebugTranslation {
    return sharedReport(riscvDebugReport(this.ws, this.cfg, va, access));
  }

  // ------------------------------------------------------------ SFENCE.VMA

  /**
   * SFENCE.VMA rs1, rs2 — `va` is rs1's value, `asid` rs2's (`undefined` for
   * x0): (x0, x0) drops everything; (x0, asid) every non-global entry of
   * `asid`; (va, x0) the leaf for `va` in every ASID, global ones included;
   * (va, asid) the leaf for `va` of `asid`, not global ones. A `va` that is
   * not canonical for the current mode makes it a no-op, as the spec says.
   */
  sfenceVma(va?: AddrLike, asid?: number | bigint): void {
    const a = asid === undefined ? undefined : Number(BigInt(asid) & 0xffffn) & this.hart.asidMask;
    let all: boolean;
    if (va === undefined) all = sfenceVmaAll(this.tlb, a);
    else {
      const [hi, lo] = vaHalves(va, 'RiscvMmu: sfence.vma rs1');
      // An RV32 VA beyond 32 bits is not canonical: a no-op, as on RV64.
      if ((hi & this.cfg.rv32Mask) !== 0 && !isVa32(hi, lo)) return;
      all = sfenceVmaVa(this.tlb, this.cfg, this.bigCached, (hi & this.cfg.hiMask) >>> 0, lo, a);
    }
    if (all) this.bigCached = false;
  }

  /** Zeroes {@link stats}. */
  resetStats(): void {
    resetMmuStats(this.stats);
  }

  /** The spec's table and privilege names. */
  get info(): MmuInfo {
    return RISCV_MMU_INFO;
  }

  /** A fault of this MMU in words and fields. */
  describeFault(fault: RiscvFault): MmuFaultReport {
    return describeRiscvFault(fault);
  }

  // ------------------------------------------------------------ internals

  /** Bare mode or M-mode: PA = VA, checked by PMP/PMA. 0 with the PA in `slowPa`, or -1. */
  private untranslated(hi: number, lo: number, access: Access, p: RiscvPriv): number {
    if (hi >= 0x20_0000) return this.fail(accessFaultCause(access), hi, lo);
    const pa = hi * TWO32 + lo;
    const pmp = this.pmp;
    if (pmp !== undefined && !pmp(pa, access, p)) return this.fail(accessFaultCause(access), hi, lo);
    this.lastLevel = -1;
    this.slowPa = pa;
    return 0;
  }

  /** The PMP/PMA check of the final PA: 0 with it in `slowPa`, or -1. */
  private finish(pa: number, hi: number, lo: number, access: Access, p: RiscvPriv): number {
    const pmp = this.pmp;
    if (pmp !== undefined && !pmp(pa, access, p)) return this.fail(accessFaultCause(access), hi, lo);
    this.lastPriv = p;
    this.slowPa = pa;
    return 0;
  }

  /** Records a fault for the guest's trap (cause, `stval`) and counts it; returns -1. */
  private fail(cause: number, hi: number, lo: number): number {
    this.faultCause = cause;
    this.faultTvalHi = hi;
    this.faultTvalLo = lo;
    this.stats.faults++;
    return -1;
  }
}

/**
 * A {@link RiscvPhysCheck} for a machine whose only physical memory is
 * `mem`: a PA outside it raises an access fault (PMA: nothing there). Wrap it
 * to add MMIO ranges or PMP rules.
 */
export function ramOnly(mem: PhysMemory): RiscvPhysCheck {
  return (paddr) => mem.frameWord(Math.floor(paddr / 4096)) >= 0;
}
