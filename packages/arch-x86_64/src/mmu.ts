/**
 * `X64Mmu`: the x86 emulator MMU — access-checked 4-level / 5-level, PAE and
 * 32-bit linear-address translation with the exact #PF / #GP fault, the
 * Accessed/Dirty writes the processor makes, a side-effect-free debug walk
 * and a PCID-tagged software TLB (Intel SDM Vol. 3A ch. 4: §4.5 paging
 * structures, §4.3 32-bit and §4.4 PAE paging, §4.6 access rights, §4.7 page-fault exceptions, §4.8 A/D flags,
 * §4.10 TLBs). The registers live in {@link X64MmuRegisters}.
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
  type MappingFlags,
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
import type { X64Fault, X64FaultReason } from './fault.js';
import { MODE_32, MODE_DISABLED, MODE_LONG, type X64MmuOptions, X64MmuRegisters, x86LeafSize } from './mmu-config.js';
import { debugWalkX64, describeX64Fault, X64_MMU_INFO, type X64DebugTranslation } from './mmu-report.js';
import { PERM_D, PERM_IDENTITY, PERM_ROW, permFlags } from './mmu-rights.js';
import { walkX64, X64WalkState } from './mmu-walk.js';
import { walkX86_32 } from './mmu-walk-32.js';
import { invlpg, invpcid } from './tlb-invalidate.js';

export type { X64MmuOptions, X64PagingMode } from './mmu-config.js';
export type { X64DebugTranslation } from './mmu-report.js';
export type { X64AdUpdate } from './mmu-walk.js';

const WRITE = Access.Write;

/**
 * The x86 MMU of an emulated CPU: translates linear addresses through the
 * 4-level, 5-level, PAE or 32-bit paging structures in guest RAM (the mode
 * CR0.PG, CR4.PAE, CR4.LA57 and EFER.LME select), read in place through a
 * {@link PhysMemory} (e.g. a `RamHandler` over the emulator's ArrayBuffer,
 * SharedArrayBuffer or WebAssembly.Memory), exactly as SDM Vol. 3A ch. 4 has
 * the processor do it:
 *
 * - a non-canonical address raises #GP(0) before any walk (in IA-32e mode;
 *   outside it a linear address is 32 bits, zero- or sign-extended, and any
 *   other value raises #GP(0) too);
 * - in PAE paging the walk starts from the four PDPTE registers, loaded when
 *   CR3 is written (a reserved bit makes the write a #GP(0));
 * - not-present and reserved-bit entries, U/S, R/W (with CR0.WP), XD (with
 *   EFER.NXE), SMEP, SMAP (with RFLAGS.AC) and protection keys (PKRU / PKRS)
 *   raise #PF with the SDM's error code and CR2;
 * - A is set in every paging-structure entry used, D in the leaf on a write,
 *   by core's entry compare-and-swap (the walk restarts if the entry changed
 *   under it, as QEMU does);
 * - a software TLB tagged by PCID and the global bit caches successful
 *   translations with their combined rights; CPL, CR0.WP, SMEP, SMAP,
 *   RFLAGS.AC, PKRU and PKRS are re-applied on every hit.
 *
 * A fault is a value: `translate` returns it, `translatePa` returns -1 and
 * leaves it in the `fault*` fields.
 */
export class X64Mmu extends X64MmuRegisters implements EmulatorMmu<X64Fault> {
  /** TLB hits, walks and faults since construction (or {@link resetStats}). */
  readonly stats: MmuStats = newMmuStats();

  /** Vector of the last fault: 14 (#PF) or 13 (#GP); 0 before any fault. */
  faultVector = 0;
  /** Error code of the last fault (0 for #GP). */
  faultErrorCode = 0;
  /** High 32 bits of the last faulting linear address (CR2 for a #PF; a #GP leaves CR2 alone). */
  faultVaHi = 0;
  /** Low 32 bits of the last faulting linear address. */
  faultVaLo = 0;
  /** Level (0 = PTE … 4 = PML5E) of the entry where the last faulting walk stopped; -1 for #GP. */
  faultLevel = -1;
  /** Why the last translation faulted (meaningless while {@link faultVector} is 0). */
  faultReason: X64FaultReason = 'not-present';

  private readonly cas = new EntryCas();
  // The last successful translation's leaf level and permission word.
  private lastLevel = 0;
  private lastPerm = 0;
  // The walks' results (a debug walk uses its own, so it changes nothing visible).
  private readonly w: X64WalkState;

  /** An MMU reading the paging structures from `mem`, in the CPU state of `options`. */
  constructor(mem: PhysMemory, options: X64MmuOptions = {}) {
    super(mem, options);
    this.w = new X64WalkState(mem, this.cas, this.tlb);
  }

  // ------------------------------------------------------ TLB invalidation

  /**
   * INVLPG (SDM §4.10.4.1): drops the translation of the page containing `va`
   * (every cached 4 KiB piece of a 2 MiB / 1 GiB page) for the current PCID,
   * and global translations of that page for any PCID. A non-canonical `va`
   * is a no-op, as on the processor.
   */
  invlpg(va: AddrLike): void {
    const [hi, lo] = vaHalves(va, 'x86_64 MMU');
    invlpg(this.tlb, this.cfg, hi, lo);
  }

  /**
   * INVPCID (SDM Vol. 2 "INVPCID"): type 0 drops the non-global translation
   * of `va` for `pcid`; type 1 every non-global translation of `pcid`; type
   * 2 everything, global included; type 3 everything but global
   * translations. Returns `undefined`, or the #GP(0) the instruction raises
   * for a type above 3, a PCID above 4095, a non-canonical `va` with type 0,
   * or type 1 with a nonzero PCID while CR4.PCIDE = 0.
   */
  invpcid(type: number, pcid: number, va: AddrLike = 0): X64Fault | undefined {
    const [hi, lo] = type === 0 ? vaHalves(va, 'x86_64 MMU') : [0, 0];
    return invpcid(this.tlb, this.cfg, type, pcid, hi, lo) ? undefined : { vector: 13, errorCode: 0 };
  }

  /** Drops every cached translation, e.g. after restoring a snapshot of guest RAM. */
  flushAll(): void {
    this.tlb.flushAll();
  }

  /** Zeroes {@link stats}. */
  resetStats(): void {
    resetMmuStats(this.stats);
  }

  /** The SDM's table and privilege names. */
  get info(): MmuInfo {
    return X64_MMU_INFO;
  }

  /** A fault of this MMU in words and fields. */
  describeFault(fault: X64Fault): MmuFaultReport {
    return describeX64Fault(fault);
  }

  // ------------------------------------------------------------ translation

  /**
   * Translates `va` for an access at the current CPL: `{ paddr, size, flags }`
   * (flags = the effective rights for this CPL and these registers, plus
   * `UNCACHED` for a PCD leaf) or `{ fault }`. Sets A/D bits like the CPU.
   */
  translate(va: AddrLike, access: Access): TranslateResult<X64Fault> {
    checkAccess(access);
    const [hi, lo] = vaHalves(va, 'x86_64 MMU');
    const pa = this.translatePaHalves(hi, lo, access);
    if (pa < 0) return { fault: this.lastFault as X64Fault };
    return { paddr: pa as PhysAddr, size: this.lastSize, flags: this.lastFlags };
  }

  /**
   * The allocation-free hot path: the PA as a number, or -1 on a fault (then
   * read {@link faultVector}, {@link faultErrorCode}, {@link faultVaHi} /
   * {@link faultVaLo}, or {@link lastFault}). `va` is an integer: the
   * unsigned VA, or the signed 64-bit value (so a kernel address such as
   * 0xffff_8000_0000_0000 can be passed as -0x8000_0000_0000). Beyond ±2^53
   * a number is taken as the exact value it holds, which may not be the
   * literal written; pass such VAs to {@link translatePaHalves}.
   */
  translatePa(va: number, access: Access): number {
    return this.translatePaHalves(vaHi(va), vaLo(va), access);
  }

  /** {@link translatePa} with the VA as its high and low 32-bit halves. */
  translatePaHalves(hi: number, lo: number, access: Access): number {
    // Literals, not `Access.*` loads: this test runs on every hit.
    if (access !== 0 && access !== 1 && access !== 2) throw accessError(access);
    hi >>>= 0;
    lo >>>= 0;
    const cfg = this.cfg;
    if (cfg.mode !== MODE_LONG) {
      if (cfg.mode === MODE_DISABLED) return this.translateFlat(lo);
      // 32-bit and PAE paging translate 32-bit linear addresses: beyond them is a #GP, as a non-canonical one.
      if (hi !== 0 && !isVa32(hi, lo)) return this.generalProtection(hi, lo);
      hi = 0;
    } else {
      const top = (hi | 0) >> cfg.canonShift;
      if (top !== 0 && top !== -1) return this.generalProtection(hi, lo);
    }
    const tlb = this.tlb;
    const slot = tlb.lookup(hi, lo, cfg.asid);
    if (slot >= 0) {
      const perm = tlb.perm(slot);
      // A write through an entry cached with D = 0 walks again to set D (SDM §4.8).
      if (this.rights[(perm & PERM_ROW) * 3 + access] === 0 && (access !== WRITE || (perm & PERM_D) !== 0)) {
        this.stats.hits++;
        this.lastPerm = perm;
        this.lastLevel = tlb.levelOf(slot);
        return tlb.frameOf(slot) * 4096 + (lo & 0xfff);
      }
    }
    // The miss is a call returning 0 / -1 with the frame in the walk state, so this method stays small enough
    // to be inlined into the caller's loop (else every PA above 2^31 it returned would be a heap number).
    return this.miss(hi, lo, access, slot) < 0 ? -1 : this.w.frame * 4096 + (lo & 0xfff);
  }

  /** A TLB miss (or a write to a clean cached page): the walk (which fills the TLB), or the #PF. 0 with the 4 KiB frame in `w.frame`, or -1. */
  private miss(hi: number, lo: number, access: Access, slot: number): number {
    this.stats.misses++;
    const cfg = this.cfg;
    const tlb = this.tlb;
    const w = this.w;
    const found =
      cfg.mode === MODE_32
        ? walkX86_32(cfg, this.rights, this.accEc[access], lo, access, w, undefined)
        : walkX64(cfg, this.rights, this.accEc[access], hi, lo, access, w, undefined);
    if (found >= 0) {
      this.lastPerm = w.perm;
      this.lastLevel = w.level;
      return 0;
    }
    // A #PF invalidates the faulting page's translations for the current PCID (SDM §4.10.4.1).
    if (slot >= 0) tlb.drop(slot);
    this.stats.faults++;
    this.faultVector = 14;
    this.faultErrorCode = w.ec;
    this.faultVaHi = hi;
    this.faultVaLo = lo;
    this.faultLevel = w.level;
    this.faultReason = w.stop;
    return -1;
  }

  /** Records the #GP(0) of a non-canonical VA in the `fault*` fields (CR2 is not written) and counts it; returns -1. */
  private generalProtection(hi: number, lo: number): number {
    this.stats.faults++;
    this.faultVector = 13;
    this.faultErrorCode = 0;
    this.faultVaHi = hi;
    this.faultVaLo = lo;
    this.faultLevel = -1;
    this.faultReason = 'non-canonical';
    return -1;
  }

  /** The last fault as a record (allocates), or `undefined` before the first fault. */
  get lastFault(): X64Fault | undefined {
    if (this.faultVector === 13) return { vector: 13, errorCode: 0 };
    if (this.faultVector === 14) {
      return {
        vector: 14,
        errorCode: this.faultErrorCode,
        cr2: fromHalves(this.faultVaHi, this.faultVaLo) as VirtAddr,
      };
    }
    return undefined;
  }

  /** Effective rights of the last successful translation (see {@link translate}). */
  get lastFlags(): MappingFlags {
    return permFlags(this.rights, this.lastPerm);
  }

  /** Page size of the leaf that mapped the last successful translation. */
  get lastSize(): PageSize {
    return x86LeafSize(this.cfg, this.lastLevel);
  }

  /**
   * The same walk as {@link translate} over the tables in memory, with no side
   * effect at all: no A/D write (reported as `adUpdates`), the TLB and
   * {@link stats} untouched, the `fault*` fields kept. Reports every entry
   * read (level, index, PA, value), the result `translate` would give for
   * `access` on a TLB miss, the A/D writes that walk would make, the
   * effective rights of the leaf reached, and where and why the walk stopped.
   */
  debugTranslate(va: AddrLike, access: Access = Access.Read): X64DebugTranslation {
    checkAccess(access);
    const [hi, lo] = vaHalves(va, 'x86_64 MMU');
    const p = { table: this.rights, accEc: this.accEc[access], state: this.rightsState() };
    return sharedReport(debugWalkX64(this.mem, this.cas, this.cfg, p, hi, lo, access));
  }

  /** Paging disabled: linear = physical, truncated to 32 bits (IA-32e mode needs paging). */
  private translateFlat(lo: number): number {
    this.lastPerm = PERM_IDENTITY;
    this.lastLevel = 0;
    return lo;
  }
}
