/**
 * `A64Mmu`: the AArch64 stage-1 MMU of the EL1&0 regime, and of the EL2
 * regime without VHE (VMSAv8-64, 4, 16 and 64 KiB granules), for emulators: access-checked translation with the exact
 * Instruction/Data Abort, the hardware Access-flag and dirty-state updates
 * (FEAT_HAFDBS), a side-effect-free debug walk and an ASID-tagged software
 * TLB invalidated by methods named after the TLBI instructions.
 *
 * Arm ARM D8 ("The AArch64 Virtual Memory System Architecture"): D8.2
 * translation process, D8.4 memory access control, D8.5 hardware updates
 * of the translation tables, D8.13 TLB maintenance.
 *
 * @module
 */

import {
  Access,
  accessError,
  checkAccess,
  type EmulatorMmu,
  EntryCas,
  type MappingFlags,
  type MmuFaultReport,
  type MmuInfo,
  type MmuStats,
  newMmuStats,
  type PageSize,
  type PhysMemory,
  resetMmuStats,
  type TranslateResult,
  vaHalves,
  vaHi,
  vaLo,
} from '@page-table/core';
import { type AddrLike, fromHalves, type PhysAddr, type VirtAddr } from '@page-table/memory-addr';
import { type A64Fault, A64FaultKind, abortEc, abortEsr, abortFault } from './fault.js';
import {
  type A64DebugTranslation,
  a64DebugTranslate,
  flatFlags,
  flatPa,
  inRange,
  leafFlags,
  leafPageSize,
} from './mmu-debug.js';
import { DATA_SLOTS } from './mmu-micro-tlb.js';
import { A64_MMU_INFO, describeA64Fault } from './mmu-report.js';
import { A64WalkState, a64Walk } from './mmu-walk.js';
import { A64TlbMaintenance, rangeTagHi } from './tlb-invalidate.js';

export type { A64DebugTranslation, A64LeafInfo } from './mmu-debug.js';
export type { A64MmuOptions, A64MmuRegisters, A64RegValue } from './mmu-registers.js';
export { A64MmuRegisterFile } from './mmu-registers.js';
export type { A64WalkStep } from './mmu-walk.js';
export { A64TlbMaintenance, tlbiOperand } from './tlb-invalidate.js';

import type { A64MmuOptions } from './mmu-registers.js';

/**
 * The stage-1 MMU of an AArch64 CPU in the EL1&0 regime (and, with `el: 2`,
 * the EL2 regime with HCR_EL2.E2H = 0) with the granule each range's TGn selects, reading the
 * tables in place from the emulator's physical memory.
 *
 * ```ts
 * const mmu = new A64Mmu(ram, { ttbr0, ttbr1, tcr, sctlr, mair, el: 1, pan: false });
 * const pa = mmu.translatePa(va, Access.Read); // -1: raise mmu.faultEsr / mmu.far
 * ```
 *
 * - Walk: TTBR0 or TTBR1 by VA bit 55, start level from TxSZ, top-byte
 *   ignore (TBI, TBID for fetches), hierarchical APTable/UXNTable/PXNTable
 *   (unless HPD), WXN, PAN, the implied PXN of EL0-writable pages.
 * - Faults: Translation, Address size, Access flag, Permission and
 *   Synchronous External abort on a walk (a table outside backed memory),
 *   with the level, as an ESR_EL1 value ({@link A64Fault}). A fault is a
 *   value, never an exception.
 * - Hardware updates (TCR.HA, TCR.HD with DBM) are made in guest RAM only
 *   when the access is permitted, atomically (a 64-bit compare-and-swap on a
 *   SharedArrayBuffer) and restarting on a changed descriptor.
 * - TLB: 4 KiB-granular (TLBI by VA drops a whole 16/64 KiB page or block), tagged by ASID for nG translations; permissions
 *   are re-evaluated on every hit, so EL, PAN and WXN changes need no flush.
 *   Translation, Address size and Access flag faults are never cached.
 */
export class A64Mmu extends A64TlbMaintenance implements EmulatorMmu<A64Fault> {
  /** The physical memory the tables are read from (and AF/dirty updates written to). */
  readonly mem: PhysMemory;
  /** TLB hits, walks and faults since construction or {@link resetStats}. */
  readonly stats: MmuStats = newMmuStats();

  // ---- The last fault of translatePa / translatePaHalves / translate (read after a -1).
  /** ESR_EL1 of the last fault. */
  faultEsr = 0;
  /** Exception class of the last fault ({@link A64Ec}). */
  faultEc = 0;
  /** Fault status code (IFSC/DFSC) of the last fault. */
  faultFsc = 0;
  /** Kind of the last fault ({@link A64FaultKind}). */
  faultKind = 0;
  /** Arm lookup level (0..3) of the last fault. */
  faultLevel = 0;
  /** The Exception level the faulting access was made at (the abort is taken to EL1, or EL2 from EL2). */
  faultEl = 0;
  /** Whether the last fault was on a store (WnR). */
  faultWnr = false;
  /** FAR_EL1 bits [63:32] of the last fault. */
  faultFarHi = 0;
  /** FAR_EL1 bits [31:0] of the last fault. */
  faultFarLo = 0;

  private readonly ws: A64WalkState;
  /** The PA found by the last successful {@link miss} (a PA above 2^31 returned from a call is a heap number). */
  private missPa = 0;

  /**
   * An MMU over `mem` (e.g. a `RamHandler` on the guest's RAM) with the
   * CPU's registers; see {@link A64MmuRegisters} for defaults.
   *
   * @throws RangeError for a register value that is not a 64-bit number or
   * bigint, an `el` other than 0, 1 or 2, SCTLR_ELx.EE set, an unknown
   * `paBits`, or a TLB size that is not 0 or a power of two.
   */
  constructor(mem: PhysMemory, options: A64MmuOptions = {}) {
    super(options);
    this.mem = mem;
    this.ws = new A64WalkState(mem, new EntryCas());
  }

  // ---------------------------------------------------------- translation

  /**
   * Translates `va` for `access` at the current EL: `{ paddr, size, flags }`
   * (flags: what the current EL may do there, USER if EL0 has data access,
   * and the MAIR memory type), or `{ fault }`. Same TLB, counters and RAM
   * updates as {@link translatePa}.
   *
   * @throws RangeError for a VA that is not a 64-bit number or bigint, or an unknown access.
   */
  translate(va: AddrLike, access: Access): TranslateResult<A64Fault> {
    checkAccess(access);
    const [hi, lo] = vaHalves(va, WHO);
    const pa = this.translatePaHalves(hi, lo, access);
    if (pa < 0) return { fault: this.lastFault! };
    return { paddr: pa as PhysAddr, size: this.lastSize, flags: this.lastFlags };
  }

  /**
   * The hot path: the PA of `va` (a safe integer, negative for a
   * sign-extended upper-range VA, or use {@link translatePaHalves}) as a
   * number, or -1 on a fault, whose details are then in the `fault*` fields
   * ({@link lastFault} builds the record). Allocates nothing.
   */
  translatePa(va: number, access: Access): number {
    return this.translatePaHalves(vaHi(va), vaLo(va), access);
  }

  /** {@link translatePa} with the VA as unsigned 32-bit halves (bits 63..32, 31..0). */
  translatePaHalves(hi: number, lo: number, access: Access): number {
    // Literals, not `Access.*` loads: this test runs on every hit.
    if (access !== 0 && access !== 1 && access !== 2) throw accessError(access);
    hi >>>= 0;
    lo >>>= 0;
    // The micro-TLBs: the last page used for data and for fetches.
    const vpn = lo >>> 12;
    const m = this.micro;
    if (access === 2) {
      if (hi === m.iHi && vpn === m.iVpn && m.iOk !== 0) {
        this.stats.hits++;
        m.lastPerm = m.iPerm;
        m.lastBits = m.iBits;
        m.lastAccess = access;
        return m.iBase + (lo & 0xfff);
      }
    } else {
      const k = vpn & (DATA_SLOTS - 1);
      const d = m.d;
      const b = k << 2;
      if (d[b] === vpn && d[b + 1] === (hi | 0) && ((d[b + 2] >>> access) & 1) !== 0) {
        this.stats.hits++;
        const pl = d[b + 3];
        m.lastPerm = pl & 0xff;
        m.lastBits = pl >>> 8;
        m.lastAccess = access;
        return m.dBase[k] + (lo & 0xfff);
      }
    }
    return this.miss(hi, lo, vpn, access) < 0 ? -1 : this.missPa;
  }

  /** Past the micro-TLBs: the MMU-off path, the VA checks, the TLB, the walk (kept apart so the hit path stays small). 0 with the PA in `missPa`, or -1. */
  private miss(hi: number, lo: number, vpn: number, access: number): number {
    const g = this.cur;
    const rg = (hi & 0x80_0000) !== 0 ? g.upper : g.lower;
    if (!g.on) {
      // Stage 1 disabled (SCTLR.M = 0): VA = PA, any access, Address size fault L0 above PAMax.
      const pa = flatPa(rg, hi, lo, access);
      if (pa < 0) return this.fail(A64FaultKind.AddressSize, 0, hi, lo, access);
      this.micro.last(-1, 12, access);
      this.missPa = pa;
      return 0;
    }
    if (!inRange(rg, hi, lo, access) || rg.oob || (rg.e0pd && this.curEl === 0))
      return this.fail(A64FaultKind.Translation, 0, hi, lo, access);
    // The TLB tag: VA with the top byte replaced by bit 55 (the same for every
    // VA TBI may alias), or by a marker for the EL2 regime.
    const tag = rangeTagHi(rg, hi);
    const tlb = this.tlb;
    const lut = this.lut;
    if (tlb !== undefined) {
      const s = tlb.lookup(tag, lo, g.asid);
      if (s >= 0) {
        const perm = tlb.perm(s);
        if ((lut[perm & 15] >>> access) & 1) {
          this.stats.hits++;
          const frame = tlb.frameOf(s);
          this.micro.fill(hi, vpn, access, perm, tlb.sizeBitsOf(s), frame, lut[perm & 15]);
          this.missPa = frame * 4096 + (lo & 0xfff);
          return 0;
        }
        // Not permitted by the cached entry: walk again (the descriptor may
        // have been relaxed, or a store must set the dirty state), as QEMU does.
      }
    }
    this.stats.misses++;
    const ws = this.ws;
    if (a64Walk(ws, g, rg, lut, hi, lo, access, false, undefined) < 0)
      return this.fail(ws.kind, ws.level, hi, lo, access);
    const perm = ws.perm;
    if (tlb !== undefined) {
      tlb.insert(tag, lo, g.asid, ws.global, ws.frame, 3 - ws.level, perm, ws.bits);
      this.micro.fill(hi, vpn, access, perm, ws.bits, ws.frame, lut[perm & 15]);
    } else this.micro.last(perm, ws.bits, access);
    this.missPa = ws.frame * 4096 + (lo & 0xfff);
    return 0;
  }

  /** Records a fault in the `fault*` fields (the allocation-free form of {@link abortFault}); returns -1. */
  private fail(kind: number, level: number, hi: number, lo: number, access: number): number {
    const ec = abortEc(access === Access.Execute, this.curEl);
    const fsc = kind | level;
    const wnr = access === Access.Write;
    this.faultEc = ec;
    this.faultFsc = fsc;
    this.faultKind = kind;
    this.faultLevel = level;
    this.faultEl = this.curEl;
    this.faultWnr = wnr;
    this.faultFarHi = hi;
    this.faultFarLo = lo;
    this.faultEsr = abortEsr(ec, fsc, wnr);
    this.stats.faults++;
    return -1;
  }

  /** Leaf size of the last successful `translatePa` (4 KiB with the MMU off). */
  get lastSize(): PageSize {
    const m = this.micro;
    return leafPageSize(m.lastPerm < 0 ? 12 : m.lastBits);
  }

  /** Flags of the last successful `translatePa`, as {@link translate} reports them (under the current EL/PAN/WXN). */
  get lastFlags(): MappingFlags {
    const m = this.micro;
    const perm = m.lastPerm;
    return perm < 0 ? flatFlags(m.lastAccess) : leafFlags(this.cur, perm, this.lut[perm & 15]);
  }

  /** The last fault of `translatePa`/`translate` as a record (allocates); undefined before any fault. */
  get lastFault(): A64Fault | undefined {
    if (this.faultEsr === 0) return undefined;
    const fetch = this.faultEc === abortEc(true, this.faultEl);
    return abortFault(
      this.faultKind,
      this.faultLevel,
      this.faultFarHi,
      this.faultFarLo,
      fetch,
      this.faultWnr,
      this.faultEl,
    );
  }

  /** FAR_EL1 of the last fault (allocates a bigint for upper-range VAs). */
  get far(): VirtAddr {
    return fromHalves(this.faultFarHi, this.faultFarLo) as VirtAddr;
  }

  /** Zeroes {@link stats}. */
  resetStats(): void {
    resetMmuStats(this.stats);
  }

  /** The Arm ARM's table and privilege names. */
  get info(): MmuInfo {
    return A64_MMU_INFO;
  }

  /** A fault of this MMU in words and fields. */
  describeFault(fault: A64Fault): MmuFaultReport {
    return describeA64Fault(fault);
  }

  /** Drops every cached translation of both regimes (TLBI VMALLE1 and ALLE2), e.g. after guest RAM was restored from a snapshot. */
  flushAll(): void {
    this.tlbiVmalle1();
  }

  /**
   * The walk `translate` would make for `access`, reported level by level,
   * with no side effect at all: no AF or dirty write to RAM, no TLB lookup
   * or fill, counters and `fault*` fields untouched. `result` is what a TLB
   * miss would give (a stale TLB entry can make `translate` differ until the
   * guest invalidates it).
   *
   * @throws RangeError for a VA that is not a 64-bit number or bigint, or an unknown access.
   */
  debugTranslate(va: AddrLike, access: Access = Access.Read): A64DebugTranslation {
    checkAccess(access);
    const c = {
      regime: this.cur,
      el: this.curEl,
      pan: this.curPan,
      lut: this.lut,
      paBits: this.cpu.paBits,
      ws: this.ws,
    };
    return a64DebugTranslate(c, va, access);
  }
}

const WHO = 'aarch64 MMU';
