/**
 * `A64Mmu`: the AArch64 stage-1 MMU of the EL1&0 regime, and of the EL2
 * regime without VHE (VMSAv8-64, 4 KiB granule), for emulators: access-checked translation with the exact
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
  checkTlbEntries,
  type EmulatorMmu,
  EntryCas,
  type MappingFlags,
  type MmuFaultReport,
  type MmuInfo,
  type MmuStats,
  newMmuStats,
  type PageSize,
  type PhysMemory,
  registerHalves,
  resetMmuStats,
  SoftTlb,
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
import { A64MicroTlb } from './mmu-micro-tlb.js';
import { permTable } from './mmu-perms.js';
import {
  type A64CpuFeatures,
  type A64Regime,
  type A64RegimeRegs,
  decodeEl1Regime,
  decodeEl2Regime,
  PA_SIZES,
  SCTLR_EE,
} from './mmu-regime.js';
import { A64_MMU_INFO, describeA64Fault } from './mmu-report.js';
import { A64WalkState, a64Walk } from './mmu-walk.js';
import { rangeTagHi, tlbiAside1, tlbiVae1, tlbiVae2, tlbiVmalle1 } from './tlb-invalidate.js';

export type { A64DebugTranslation, A64LeafInfo } from './mmu-debug.js';
export type { A64WalkStep } from './mmu-walk.js';
export { tlbiOperand } from './tlb-invalidate.js';

/** A system-register value as the emulator holds it: a number when it fits 53 bits, else a bigint. */
export type A64RegValue = number | bigint;

/**
 * The CPU state the MMU reads, as raw register values named as in the Arm
 * ARM. Omitted registers take their reset value: SCTLR_EL1 resets with
 * M = 0 (MMU off) and is taken as 0; TTBR0/1_EL1, TCR_EL1 and MAIR_EL1 have
 * architecturally UNKNOWN reset values and are taken as 0; `el` is 1 and
 * `pan` false.
 */
export interface A64MmuRegisters {
  /** TTBR0_EL1: BADDR [47:1] (the lower range's root), ASID [63:48], CnP [0]. */
  readonly ttbr0?: A64RegValue;
  /** TTBR1_EL1: BADDR [47:1] (the upper range's root), ASID [63:48], CnP [0]. */
  readonly ttbr1?: A64RegValue;
  /**
   * TCR_EL1. Used: T0SZ [5:0], EPD0 [7], T1SZ [21:16], A1 [22], EPD1 [23],
   * IPS [34:32], AS [36], TBI0/TBI1 [37]/[38], HA [39], HD [40],
   * HPD0/HPD1 [41]/[42], TBID0/TBID1 [51]/[52], E0PD0/E0PD1 [55]/[56].
   * TG0/TG1 are ignored: the modelled CPU implements only the 4 KiB granule,
   * and an unimplemented granule behaves as an implemented one. DS is RES0
   * (no FEAT_LPA2); cacheability and shareability fields have no effect.
   */
  readonly tcr?: A64RegValue;
  /** SCTLR_EL1. Used: M [0] (stage 1 on), WXN [19]. EE [25] must be 0 (little-endian walks). */
  readonly sctlr?: A64RegValue;
  /** MAIR_EL1: the memory type of each AttrIndx, reported as `DEVICE` / `UNCACHED` flags. */
  readonly mair?: A64RegValue;
  /**
   * The current Exception level of the accesses: 0 (EL0) or 1 (EL1) use the
   * EL1&0 regime, 2 the EL2 regime of a hypervisor without VHE
   * (HCR_EL2.E2H = 0) with the `*El2` registers.
   */
  readonly el?: 0 | 1 | 2;
  /** PSTATE.PAN: EL1 data accesses to EL0-accessible pages fault (FEAT_PAN). No effect at EL2 (E2H = 0). */
  readonly pan?: boolean;
  /** TTBR0_EL2: BADDR [47:1] of the EL2 regime's only range (there is no ASID with E2H = 0). */
  readonly ttbr0El2?: A64RegValue;
  /**
   * TCR_EL2 (E2H = 0 layout). Used: T0SZ [5:0], PS [18:16], TBI [20], HA
   * [21], HD [22], HPD [24], TBID [29]; TG0 as for TCR_EL1.
   */
  readonly tcrEl2?: A64RegValue;
  /** SCTLR_EL2. Used: M [0], WXN [19]; EE [25] must be 0. */
  readonly sctlrEl2?: A64RegValue;
  /** MAIR_EL2. */
  readonly mairEl2?: A64RegValue;
}

/** Options of an {@link A64Mmu}: the registers plus the modelled CPU's features and the TLB size. */
export interface A64MmuOptions extends A64MmuRegisters {
  /**
   * Physical address size the CPU implements (ID_AA64MMFR0_EL1.PARange):
   * 32, 36, 40, 42, 44, 48 or 52 bits; default 48. TCR_EL1.IPS is bounded
   * by it, and without FEAT_LPA2 the output size is at most 48 bits.
   */
  readonly paBits?: number;
  /** FEAT_TTST: T0SZ/T1SZ up to 48 (start at level 3) instead of 39. Default false. */
  readonly ttst?: boolean;
  /** FEAT_HAFDBS: TCR_EL1.HA/HD take effect. Default true (without it they are RES0). */
  readonly hafdbs?: boolean;
  /** Software TLB entries (a power of two), default 256; 0 disables the TLB (every access walks). */
  readonly tlbEntries?: number;
}

/**
 * The stage-1 MMU of an AArch64 CPU in the EL1&0 regime (and, with `el: 2`,
 * the EL2 regime with HCR_EL2.E2H = 0) with the 4 KiB granule, reading the
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
 * - TLB: 4 KiB-granular, tagged by ASID for nG translations; permissions
 *   are re-evaluated on every hit, so EL, PAN and WXN changes need no flush.
 *   Translation, Address size and Access flag faults are never cached.
 */
export class A64Mmu implements EmulatorMmu<A64Fault> {
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

  private readonly tlb: SoftTlb | undefined;
  private readonly cpu: A64CpuFeatures;
  /** The EL1&0 and EL2 regimes, each rebuilt by its registers' setters; `cur` is the current EL's. */
  private el1: A64Regime;
  private el2: A64Regime;
  private cur: A64Regime;
  private curEl: number;
  private curPan: boolean;
  /** The permission table of the current EL, PAN and the current regime's WXN. */
  private lut: Uint8Array;
  private readonly ws: A64WalkState;
  private readonly micro = new A64MicroTlb();
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
    this.mem = mem;
    const pab = options.paBits ?? 48;
    const parange = PA_SIZES.indexOf(pab);
    if (parange < 0) throw new RangeError(`${WHO}: paBits ${pab} is not one of ${PA_SIZES.join(', ')}`);
    this.cpu = { paBits: Math.min(pab, 48), parange, ttst: options.ttst ?? false, hafdbs: options.hafdbs ?? true };
    const n = checkTlbEntries(options.tlbEntries, WHO);
    this.tlb = n === 0 ? undefined : new SoftTlb(n);
    this.ws = new A64WalkState(mem, new EntryCas());
    const h = (v: A64RegValue | undefined, what: string) => registerHalves(v ?? 0, WHO, what);
    this.el1 = decodeEl1Regime(
      sctlrChecked(
        {
          ttbr0: h(options.ttbr0, 'TTBR0_EL1'),
          ttbr1: h(options.ttbr1, 'TTBR1_EL1'),
          tcr: h(options.tcr, 'TCR_EL1'),
          sctlr: h(options.sctlr, 'SCTLR_EL1'),
          mair: h(options.mair, 'MAIR_EL1'),
        },
        'SCTLR_EL1',
      ),
      this.cpu,
    );
    this.el2 = decodeEl2Regime(
      sctlrChecked(
        {
          ttbr0: h(options.ttbr0El2, 'TTBR0_EL2'),
          ttbr1: [0, 0],
          tcr: h(options.tcrEl2, 'TCR_EL2'),
          sctlr: h(options.sctlrEl2, 'SCTLR_EL2'),
          mair: h(options.mairEl2, 'MAIR_EL2'),
        },
        'SCTLR_EL2',
      ),
      this.cpu,
    );
    this.curEl = checkEl(options.el ?? 1);
    this.curPan = options.pan ?? false;
    this.cur = this.curEl === 2 ? this.el2 : this.el1;
    this.lut = permTable(this.curEl, this.curPan, this.cur.wxn);
  }

  /** Implemented PA size in bits (ID_AA64MMFR0_EL1.PARange). */
  get paBits(): number {
    return this.cpu.paBits;
  }
  /** Whether FEAT_TTST is modelled (TxSZ up to 48). */
  get ttst(): boolean {
    return this.cpu.ttst;
  }
  /** Whether FEAT_HAFDBS is modelled (TCR.HA/HD effective). */
  get hafdbs(): boolean {
    return this.cpu.hafdbs;
  }

  // ------------------------------------------------------------ registers

  /** TTBR0_EL1: BADDR [47:1], the root table of the lower VA range, and ASID [63:48] (the current ASID unless TCR_EL1.A1). */
  get ttbr0(): A64RegValue {
    return fromHalves(...this.el1.regs.ttbr0);
  }
  /**
   * MSR TTBR0_EL1: may switch the current ASID, and flushes no TLB entry
   * (translations are ASID-tagged; stale ones of the same ASID stay until a
   * TLBI, as on hardware).
   */
  set ttbr0(v: A64RegValue) {
    this.write(false, 'ttbr0', v, 'TTBR0_EL1');
  }

  /** TTBR1_EL1: BADDR [47:1], the root table of the upper VA range, and ASID [63:48] (the current ASID when TCR_EL1.A1). */
  get ttbr1(): A64RegValue {
    return fromHalves(...this.el1.regs.ttbr1);
  }
  /** MSR TTBR1_EL1: as {@link ttbr0}, may switch the ASID and flushes no TLB entry. */
  set ttbr1(v: A64RegValue) {
    this.write(false, 'ttbr1', v, 'TTBR1_EL1');
  }

  /** TCR_EL1, the EL1&0 translation control: range sizes (T0SZ, T1SZ), walk enables, ASID size and source, TBI, HA/HD (see {@link A64MmuRegisters.tcr}). */
  get tcr(): A64RegValue {
    return fromHalves(...this.el1.regs.tcr);
  }
  /** MSR TCR_EL1: a different value flushes the whole TLB (its fields may be cached in TLB entries; QEMU flushes too); the same value changes nothing. */
  set tcr(v: A64RegValue) {
    this.write(false, 'tcr', v, 'TCR_EL1');
  }

  /** SCTLR_EL1; the MMU reads M [0] (stage 1 on) and WXN [19] (writable implies execute-never). */
  get sctlr(): A64RegValue {
    return fromHalves(...this.el1.regs.sctlr);
  }
  /** MSR SCTLR_EL1: a change of M flushes the whole TLB; WXN is re-evaluated on every access. Throws `RangeError` if EE [25] is set. */
  set sctlr(v: A64RegValue) {
    this.write(false, 'sctlr', v, 'SCTLR_EL1');
  }

  /** MAIR_EL1: eight 8-bit memory attributes, indexed by a descriptor's AttrIndx. */
  get mair(): A64RegValue {
    return fromHalves(...this.el1.regs.mair);
  }
  /** MSR MAIR_EL1: read afresh for every translation's flags, so nothing is flushed. */
  set mair(v: A64RegValue) {
    this.write(false, 'mair', v, 'MAIR_EL1');
  }

  /** The Exception level accesses are made at: 0 or 1 (EL1&0 regime), or 2 (the EL2 regime). */
  get el(): 0 | 1 | 2 {
    return this.curEl as 0 | 1 | 2;
  }
  /** Changes the Exception level, as an exception entry or ERET does: throws `RangeError` for a level other than 0, 1 or 2; permissions are re-evaluated per access, so nothing is flushed. */
  set el(v: 0 | 1 | 2) {
    this.curEl = checkEl(v);
    this.select();
  }

  /** PSTATE.PAN (FEAT_PAN): EL1 data accesses to EL0-accessible pages fault while it is set. */
  get pan(): boolean {
    return this.curPan;
  }
  /** Sets PSTATE.PAN, as MSR PAN, #imm does: it is re-evaluated on every access, so nothing is flushed. */
  set pan(v: boolean) {
    this.curPan = v === true;
    this.select();
  }

  /** TTBR0_EL2: BADDR [47:1], the root table of the EL2 regime's only range (no ASID with E2H = 0). */
  get ttbr0El2(): A64RegValue {
    return fromHalves(...this.el2.regs.ttbr0);
  }
  /** MSR TTBR0_EL2: flushes no TLB entry, as {@link ttbr0}; stale EL2 translations stay until a TLBI. */
  set ttbr0El2(v: A64RegValue) {
    this.write(true, 'ttbr0', v, 'TTBR0_EL2');
  }

  /** TCR_EL2 in its E2H = 0 layout: T0SZ, PS, TBI, HA/HD, HPD, TBID (see {@link A64MmuRegisters.tcrEl2}). */
  get tcrEl2(): A64RegValue {
    return fromHalves(...this.el2.regs.tcr);
  }
  /** MSR TCR_EL2: a different value flushes the whole TLB; the same value changes nothing. */
  set tcrEl2(v: A64RegValue) {
    this.write(true, 'tcr', v, 'TCR_EL2');
  }

  /** SCTLR_EL2; the MMU reads M [0] (EL2 stage 1 on) and WXN [19]. */
  get sctlrEl2(): A64RegValue {
    return fromHalves(...this.el2.regs.sctlr);
  }
  /** MSR SCTLR_EL2: a change of M flushes the whole TLB; WXN is re-evaluated per access. Throws `RangeError` if EE [25] is set. */
  set sctlrEl2(v: A64RegValue) {
    this.write(true, 'sctlr', v, 'SCTLR_EL2');
  }

  /** MAIR_EL2: the eight memory attributes of the EL2 regime, indexed by AttrIndx. */
  get mairEl2(): A64RegValue {
    return fromHalves(...this.el2.regs.mair);
  }
  /** MSR MAIR_EL2: read afresh for every translation's flags, so nothing is flushed. */
  set mairEl2(v: A64RegValue) {
    this.write(true, 'mair', v, 'MAIR_EL2');
  }

  /** Sets several registers at once (each as its own setter would). */
  setRegisters(regs: A64MmuRegisters): void {
    if (regs.ttbr0 !== undefined) this.ttbr0 = regs.ttbr0;
    if (regs.ttbr1 !== undefined) this.ttbr1 = regs.ttbr1;
    if (regs.tcr !== undefined) this.tcr = regs.tcr;
    if (regs.sctlr !== undefined) this.sctlr = regs.sctlr;
    if (regs.mair !== undefined) this.mair = regs.mair;
    if (regs.ttbr0El2 !== undefined) this.ttbr0El2 = regs.ttbr0El2;
    if (regs.tcrEl2 !== undefined) this.tcrEl2 = regs.tcrEl2;
    if (regs.sctlrEl2 !== undefined) this.sctlrEl2 = regs.sctlrEl2;
    if (regs.mairEl2 !== undefined) this.mairEl2 = regs.mairEl2;
    if (regs.el !== undefined) this.el = regs.el;
    if (regs.pan !== undefined) this.pan = regs.pan;
  }

  /** The current EL1&0 ASID: TTBR0_EL1[63:48] (TTBR1_EL1's with TCR.A1), 8 bits unless TCR.AS. */
  get asid(): number {
    return this.el1.asid;
  }

  /**
   * MSR to one register of a regime: the regime is decoded afresh from the
   * new value. A TCR write of the same value changes nothing, another flushes
   * the TLB, as does an SCTLR write changing M; MAIR is read per
   * translation, so its write keeps the micro-TLBs.
   */
  private write(el2: boolean, key: keyof A64RegimeRegs, v: A64RegValue, what: string): void {
    const h = registerHalves(v, WHO, what);
    const g = el2 ? this.el2 : this.el1;
    const old = g.regs[key];
    if (key === 'tcr' && old[0] === h[0] && old[1] === h[1]) return;
    const regs = { ...g.regs, [key]: h };
    if (key === 'sctlr') sctlrChecked(regs, what);
    const next = el2 ? decodeEl2Regime(regs, this.cpu) : decodeEl1Regime(regs, this.cpu);
    if (el2) this.el2 = next;
    else this.el1 = next;
    if (key === 'tcr' || (key === 'sctlr' && next.on !== g.on)) this.tlb?.flushAll();
    if (key === 'mair') this.cur = this.curEl === 2 ? this.el2 : this.el1;
    else this.select();
  }

  /** Picks the current regime and permission table after a register, EL or PAN change, and empties the micro-TLBs. */
  private select(): void {
    this.cur = this.curEl === 2 ? this.el2 : this.el1;
    this.lut = permTable(this.curEl, this.curPan, this.cur.wxn);
    this.micro.drop();
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
        m.lastLevel = m.iLevel;
        m.lastAccess = access;
        return m.iBase + (lo & 0xfff);
      }
    } else if (hi === m.dHi && vpn === m.dVpn && ((m.dOk >>> access) & 1) !== 0) {
      this.stats.hits++;
      m.lastPerm = m.dPerm;
      m.lastLevel = m.dLevel;
      m.lastAccess = access;
      return m.dBase + (lo & 0xfff);
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
      this.micro.last(-1, 3, access);
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
          this.micro.fill(hi, vpn, access, perm, 3 - tlb.levelOf(s), frame, lut[perm & 15]);
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
      tlb.insert(tag, lo, g.asid, ws.global, ws.frame, 3 - ws.level, perm);
      this.micro.fill(hi, vpn, access, perm, ws.level, ws.frame, lut[perm & 15]);
    } else this.micro.last(perm, ws.level, access);
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
    return leafPageSize(m.lastPerm < 0 ? 3 : m.lastLevel);
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

  // ---------------------------------------------------------------- TLBI

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

const WHO = 'aarch64 MMU';

function checkEl(el: number): number {
  if (el !== 0 && el !== 1 && el !== 2) throw new RangeError(`${WHO}: el ${String(el)} is not 0, 1 or 2`);
  return el;
}

/** `regs`, after refusing SCTLR_ELx.EE (big-endian walks are not modelled). */
function sctlrChecked(regs: A64RegimeRegs, what: string): A64RegimeRegs {
  if (regs.sctlr[1] & SCTLR_EE) throw new RangeError(`${WHO}: ${what}.EE (big-endian table walks) is not supported`);
  return regs;
}
