/**
 * The ARMv7-A emulator MMU: access-checked stage-1 translation of the PL1&0
 * regime through short-descriptor or long-descriptor (LPAE) tables in guest
 * RAM, with the exact DFSR/IFSR and DFAR/IFAR of each abort, a
 * side-effect-free debug walk and an ASID-tagged software TLB.
 *
 * Sources: Arm ARM (ARM DDI 0406C) B3 "Virtual Memory System Architecture":
 * B3.5 short-descriptor format, B3.6 long-descriptor format, B3.7 memory
 * access control, B3.8 memory region attributes, B3.13 exception reporting;
 * B4.1 the CP15 registers; B4.2.2 TLB maintenance.
 *
 * @module
 */

import {
  Access,
  accessError,
  checkAccess,
  createSoftTlb,
  type EmulatorMmu,
  halvesValue,
  MappingFlags,
  type MmuFaultReport,
  type MmuInfo,
  type MmuStats,
  newMmuStats,
  type PhysMemory,
  registerHalves,
  resetMmuStats,
  type SoftTlb,
  sharedReport,
  type TranslateResult,
  vaHalves,
  vaHi,
  vaLo,
} from '@page-table/core';
import type { AddrLike, PhysAddr } from '@page-table/memory-addr';
import { ArmFaultCode, type ArmV7Fault, armV7Fault, encodeFsr } from './fault.js';
import { ArmPl, type ArmV7Config, type ArmV7Registers, decodeArmV7Config } from './mmu-config.js';
import { type ArmV7DebugTranslation, armV7DebugReport } from './mmu-debug.js';
import { ARMV7_LPAE_MMU_INFO, ARMV7_SHORT_MMU_INFO, describeArmV7Fault } from './mmu-report.js';
import { effectiveFlags, PERM_SIZE_SHIFT, permits, permSize, TLB_LEVEL } from './mmu-rights.js';
import { ArmWalkState, walkLpae, walkShort } from './mmu-walk.js';
import { tlbiall, tlbiasid, tlbimva, tlbimvaa } from './tlb-invalidate.js';

export { ArmPl, Domain } from './mmu-config.js';
export type { ArmV7DebugTranslation } from './mmu-debug.js';

/** The CPU state an {@link ArmV7Mmu} starts from: raw CP15 register values named as in the Arm ARM. */
export interface ArmV7MmuOptions {
  /**
   * SCTLR: M (bit 0), TRE (bit 28), AFE (bit 29) are used. Default 0 (MMU off). Every 32-bit register
   * option and setter takes an unsigned or a signed 32-bit integer (`TTBCR_EAE | 2` is negative).
   */
  sctlr?: number;
  /** TTBR0: 32-bit (short format; also as a signed 32-bit integer) or 64-bit (LPAE: BADDR [39:x], ASID [55:48]). Default 0. */
  ttbr0?: number | bigint;
  /** TTBR1, as TTBR0. Default 0. */
  ttbr1?: number | bigint;
  /** TTBCR: N [2:0], PD0, PD1; or EAE (bit 31) with T0SZ, EPD0, T1SZ, A1, EPD1. Default 0. */
  ttbcr?: number;
  /** DACR: 16 two-bit domain fields. Default 0x5555_5555 (every domain Client). */
  dacr?: number;
  /** CONTEXTIDR: ASID [7:0] of the short format. Default 0. */
  contextidr?: number;
  /** PRRR (TEX remap, SCTLR.TRE = 1). Default 0xff0a_81a8, the value Linux programs. */
  prrr?: number;
  /** NMRR (TEX remap). Default 0x40e0_40e0. */
  nmrr?: number;
  /** MAIR0 (LPAE memory types of AttrIndx 0..3). Default `LPAE_MAIR0`. */
  mair0?: number;
  /** MAIR1 (AttrIndx 4..7). Default 0. */
  mair1?: number;
  /** Current privilege level: 0 (PL0) or 1 (PL1). Default 1. */
  pl?: ArmPl;
  /** The CPU implements PXN (always with LPAE). Default true; false makes first-level type `11` a translation fault. */
  pxn?: boolean;
  /** Software-TLB entries, a power of two, or 0 for none. Default 256. */
  tlbEntries?: number;
}

const RWX = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE;
const WORD = 'ArmV7Mmu';

// 32-bit registers take their bit pattern as an unsigned or a signed 32-bit integer: values built with `|`
// (e.g. `TTBCR_EAE | 2`) are negative numbers in JavaScript.
function word(value: number | undefined, what: string, dflt: number): number {
  const v = value ?? dflt;
  if (!Number.isInteger(v) || v < -0x8000_0000 || v > 0xffff_ffff) {
    throw new RangeError(`${WORD}: ${what} ${String(v)} is not a 32-bit register value`);
  }
  return v >>> 0;
}

// TTBR0/TTBR1: a 64-bit register (LPAE) whose 32-bit short-format values may also come as signed 32-bit integers.
function ttbrHalves(value: number | bigint, what: string): readonly [number, number] {
  if (typeof value === 'number' && Number.isInteger(value) && value < 0 && value >= -0x8000_0000)
    return [0, value >>> 0];
  return registerHalves(value, WORD, what);
}

/**
 * An ARMv7-A CPU's MMU over guest RAM (any {@link PhysMemory}, e.g. a
 * `RamHandler` on the emulator's memory): translation tables are read in
 * place. VAs are 32-bit; a 64-bit VA given to it must be a 32-bit value or
 * its sign extension (so `reg | 0` works), anything else is a `va-range`
 * fault that writes no fault register.
 *
 * ```ts
 * const mmu = new ArmV7Mmu(ram, { sctlr: 1, ttbr0, dacr: 0x5555_5555, pl: 0 });
 * const pa = mmu.translatePa(va, Access.Read); // -1: take a Data Abort with mmu.dfsr, mmu.dfar
 * ```
 */
export class ArmV7Mmu implements EmulatorMmu<ArmV7Fault> {
  /** TLB and fault counters. */
  readonly stats: MmuStats = newMmuStats();
  /** DFSR: the status of the last Data Abort (0 before any). */
  dfsr = 0;
  /** DFAR: the VA of the last Data Abort. */
  dfar = 0;
  /** IFSR: the status of the last Prefetch Abort. */
  ifsr = 0;
  /** IFAR: the VA of the last Prefetch Abort. */
  ifar = 0;

  private readonly tlb: SoftTlb;
  private readonly ws: ArmWalkState;
  private readonly pxnImpl: boolean;
  private cfg: ArmV7Config;
  // The last fault: code | level << 4 | long << 6 | access << 7 | domain << 9 (0 before any), and its VA.
  private faultInfo = 0;
  private faultHi = 0;
  private faultLo = 0;
  // The last success: the leaf's perm word (-1: MMU off), at privilege lastPl under DACR lastDacr.
  private lastPerm = -1;
  private lastPl: number = ArmPl.Privileged;
  private lastDacr = 0;

  /** An MMU over `mem` in the state `options` gives; throws `RangeError` for a value no register can hold. */
  constructor(mem: PhysMemory, options: ArmV7MmuOptions = {}) {
    this.tlb = createSoftTlb(options.tlbEntries, WORD);
    this.ws = new ArmWalkState(mem);
    this.pxnImpl = options.pxn !== false;
    const [t0h, t0l] = ttbrHalves(options.ttbr0 ?? 0, 'ttbr0');
    const [t1h, t1l] = ttbrHalves(options.ttbr1 ?? 0, 'ttbr1');
    const pl = options.pl ?? ArmPl.Privileged;
    checkPl(pl);
    this.cfg = decodeArmV7Config(
      {
        sctlr: word(options.sctlr, 'sctlr', 0),
        ttbr0Lo: t0l,
        ttbr0Hi: t0h,
        ttbr1Lo: t1l,
        ttbr1Hi: t1h,
        ttbcr: word(options.ttbcr, 'ttbcr', 0),
        dacr: word(options.dacr, 'dacr', 0x5555_5555),
        contextidr: word(options.contextidr, 'contextidr', 0),
        prrr: word(options.prrr, 'prrr', 0xff0a_81a8),
        nmrr: word(options.nmrr, 'nmrr', 0x40e0_40e0),
        mair0: word(options.mair0, 'mair0', 0x0044_ff04),
        mair1: word(options.mair1, 'mair1', 0),
        pl,
      },
      this.pxnImpl,
    );
  }

  // ------------------------------------------------------------ registers
  // Each setter is the guest's MCR, with its TLB effects: SCTLR, TTBCR, PRRR,
  // NMRR and MAIR writes change how cached entries were decoded, so a change
  // flushes the TLB (the guest's TLB maintenance would follow anyway); TTBR
  // and CONTEXTIDR writes flush nothing (entries are ASID-tagged, as on the
  // CPU); DACR and privilege are checked on every hit.

  private write(change: Partial<ArmV7Registers>, flush: boolean): void {
    this.cfg = decodeArmV7Config({ ...this.cfg, ...change }, this.pxnImpl);
    if (flush) this.tlb.flushAll();
  }

  /** SCTLR. */
  get sctlr(): number {
    return this.cfg.sctlr;
  }
  set sctlr(v: number) {
    const x = word(v, 'sctlr', 0);
    this.write({ sctlr: x }, x !== this.cfg.sctlr);
  }

  /** TTBCR. */
  get ttbcr(): number {
    return this.cfg.ttbcr;
  }
  set ttbcr(v: number) {
    const x = word(v, 'ttbcr', 0);
    this.write({ ttbcr: x }, x !== this.cfg.ttbcr);
  }

  /** TTBR0 as written (a number below 2^53, else a bigint). */
  get ttbr0(): number | bigint {
    return halvesValue(this.cfg.ttbr0Hi, this.cfg.ttbr0Lo);
  }
  set ttbr0(v: number | bigint) {
    const [hi, lo] = ttbrHalves(v, 'ttbr0');
    this.write({ ttbr0Hi: hi, ttbr0Lo: lo }, false);
  }

  /** TTBR1 as written. */
  get ttbr1(): number | bigint {
    return halvesValue(this.cfg.ttbr1Hi, this.cfg.ttbr1Lo);
  }
  set ttbr1(v: number | bigint) {
    const [hi, lo] = ttbrHalves(v, 'ttbr1');
    this.write({ ttbr1Hi: hi, ttbr1Lo: lo }, false);
  }

  /** DACR: checked on every access, so a write flushes nothing. */
  get dacr(): number {
    return this.cfg.dacr;
  }
  set dacr(v: number) {
    this.write({ dacr: word(v, 'dacr', 0) }, false);
  }

  /** CONTEXTIDR (ASID [7:0] in the short format). */
  get contextidr(): number {
    return this.cfg.contextidr;
  }
  set contextidr(v: number) {
    this.write({ contextidr: word(v, 'contextidr', 0) }, false);
  }

  /** PRRR. */
  get prrr(): number {
    return this.cfg.prrr;
  }
  set prrr(v: number) {
    const x = word(v, 'prrr', 0);
    this.write({ prrr: x }, x !== this.cfg.prrr);
  }

  /** NMRR. */
  get nmrr(): number {
    return this.cfg.nmrr;
  }
  set nmrr(v: number) {
    const x = word(v, 'nmrr', 0);
    this.write({ nmrr: x }, x !== this.cfg.nmrr);
  }

  /** MAIR0. */
  get mair0(): number {
    return this.cfg.mair0;
  }
  set mair0(v: number) {
    const x = word(v, 'mair0', 0);
    this.write({ mair0: x }, x !== this.cfg.mair0);
  }

  /** MAIR1. */
  get mair1(): number {
    return this.cfg.mair1;
  }
  set mair1(v: number) {
    const x = word(v, 'mair1', 0);
    this.write({ mair1: x }, x !== this.cfg.mair1);
  }

  /** The current privilege level (0 PL0, 1 PL1); throws `RangeError` for another value. Hits re-check it. */
  get pl(): ArmPl {
    return this.cfg.pl;
  }
  set pl(pl: ArmPl) {
    checkPl(pl);
    if (pl !== this.cfg.pl) this.write({ pl }, false);
  }

  /** The ASID tagging new TLB entries: CONTEXTIDR[7:0], or with LPAE TTBR0/TTBR1[55:48] by TTBCR.A1. */
  get asid(): number {
    return this.cfg.asid;
  }

  // ------------------------------------------------------------ translation

  /** Translates one access (allocates its result; the allocation-free forms are {@link translatePa} and {@link translatePaHalves}). */
  translate(va: AddrLike, access: Access): TranslateResult<ArmV7Fault> {
    checkAccess(access);
    const [hi, lo] = vaHalves(va, WORD);
    const pa = this.translatePaHalves(hi, lo, access);
    if (pa < 0) return { fault: this.lastFault as ArmV7Fault };
    return { paddr: pa as PhysAddr, size: this.lastSize, flags: this.lastFlags };
  }

  /**
   * The hot path: the PA as a number, or -1 on an abort (then read
   * {@link dfsr}/{@link dfar} or {@link ifsr}/{@link ifar}, or
   * {@link lastFault}). A negative `va` is a sign-extended VA, as everywhere:
   * `-0x1000` is VA 0xffff_f000. Allocates nothing.
   */
  translatePa(va: number, access: Access): number {
    return this.translatePaHalves(vaHi(va), vaLo(va), access);
  }

  /** {@link translatePa} with the VA as two 32-bit halves (`hi` 0, or 0xffff_ffff for a sign-extended VA with bit 31 set). */
  translatePaHalves(hi: number, lo: number, access: Access): number {
    if (access !== 0 && access !== 1 && access !== 2) throw accessError(access);
    hi >>>= 0;
    lo >>>= 0;
    if (hi !== 0 && (hi !== 0xffff_ffff || lo < 0x8000_0000)) {
      return this.fail(ArmFaultCode.VaRange, 0, 0, hi, lo, access);
    }
    const cfg = this.cfg;
    if (!cfg.mmuOn) {
      this.lastPerm = -1;
      return lo;
    }
    const tlb = this.tlb;
    const slot = tlb.lookup(0, lo, cfg.asid);
    if (slot >= 0) {
      const perm = tlb.perm(slot);
      // The domain and permissions are re-checked against the current DACR and privilege; a refusal re-walks for the exact fault.
      if (permits(cfg.dacr, perm, cfg.pl, access)) {
        this.stats.hits++;
        return this.done(perm, cfg, tlb.frameOf(slot) * 4096 + (lo & 0xfff));
      }
    }
    this.stats.misses++;
    const ws = this.ws;
    const r = cfg.lpae ? walkLpae(ws, cfg, lo, access, undefined) : walkShort(ws, cfg, lo, access, undefined);
    if (r < 0) return this.fail(ws.code, ws.level, ws.domain, hi, lo, access);
    tlb.insert(0, lo, cfg.asid, ws.global, ws.frame, TLB_LEVEL[(ws.perm >>> PERM_SIZE_SHIFT) & 7], ws.perm);
    return this.done(ws.perm, cfg, ws.frame * 4096 + (lo & 0xfff));
  }

  /** The last abort as a record (allocates), or `undefined` if nothing has faulted yet. */
  get lastFault(): ArmV7Fault | undefined {
    const i = this.faultInfo;
    if (i === 0) return undefined;
    return armV7Fault(
      i & 15,
      (i >>> 4) & 3,
      (i & 64) !== 0,
      ((i >>> 7) & 3) as Access,
      (i >>> 9) & 15,
      this.faultHi,
      this.faultLo,
    );
  }

  /**
   * Effective permissions of the last successful translation at its
   * privilege level: the access kinds that pass, USER when PL0 may read,
   * DEVICE/UNCACHED from the memory type; everything under a Manager domain.
   * READ | WRITE | EXECUTE with the MMU off.
   */
  get lastFlags(): MappingFlags {
    return this.lastPerm < 0 ? RWX : effectiveFlags(this.lastDacr, this.lastPerm, this.lastPl);
  }

  /** Size of the leaf of the last successful translation: 4 KiB, 64 KiB, 1 MiB, 16 MiB, 2 MiB or 1 GiB (4 KiB with the MMU off). */
  get lastSize(): number {
    return this.lastPerm < 0 ? 0x1000 : permSize(this.lastPerm);
  }

  /**
   * The walk `translate(va, access)` would do, with every descriptor read,
   * the outcome and where and why it stopped: always a fresh walk (the TLB
   * is neither consulted nor filled), nothing written, no counter or fault
   * register changed.
   */
  debugTranslate(va: AddrLike, access: Access = Access.Read): ArmV7DebugTranslation {
    return sharedReport(armV7DebugReport(this.ws, this.cfg, va, access));
  }

  // ------------------------------------------------------------ TLB maintenance

  /** TLBIALL: invalidates every cached translation. */
  tlbiall(): void {
    tlbiall(this.tlb);
  }

  /** TLBIMVA with Rt = MVA[31:12] | ASID[7:0]: that page of that ASID, and global entries of it. */
  tlbimva(rt: number): void {
    tlbimva(this.tlb, rt >>> 0);
  }

  /** TLBIASID with Rt = ASID[7:0]: every non-global entry of the ASID. */
  tlbiasid(rt: number): void {
    tlbiasid(this.tlb, rt >>> 0);
  }

  /** TLBIMVAA with Rt = MVA[31:12]: that page in every ASID. */
  tlbimvaa(rt: number): void {
    tlbimvaa(this.tlb, rt >>> 0);
  }

  /** Drops every cached translation (a TLBIALL), e.g. after guest RAM was restored from a snapshot. */
  flushAll(): void {
    this.tlb.flushAll();
  }

  /** Zeroes {@link stats}. */
  resetStats(): void {
    resetMmuStats(this.stats);
  }

  /** The manual's table and privilege names of the format in force (short descriptors unless TTBCR.EAE = 1). */
  get info(): MmuInfo {
    return this.cfg.lpae ? ARMV7_LPAE_MMU_INFO : ARMV7_SHORT_MMU_INFO;
  }

  /** An abort of this MMU in words and fields. */
  describeFault(fault: ArmV7Fault): MmuFaultReport {
    return describeArmV7Fault(fault);
  }

  // ------------------------------------------------------------ internals

  private done(perm: number, cfg: ArmV7Config, pa: number): number {
    this.lastPerm = perm;
    this.lastPl = cfg.pl;
    this.lastDacr = cfg.dacr;
    return pa;
  }

  /** Records an abort in the fault registers of its kind and counts it; returns -1. */
  private fail(code: number, level: number, domain: number, hi: number, lo: number, access: Access): number {
    const long = this.cfg.lpae;
    this.faultInfo = code | (level << 4) | (long ? 64 : 0) | (access << 7) | (domain << 9);
    this.faultHi = hi;
    this.faultLo = lo;
    this.stats.faults++;
    if (code !== ArmFaultCode.VaRange) {
      const fsr = encodeFsr(code, level, long, access, domain);
      if (access === Access.Execute) {
        this.ifsr = fsr;
        this.ifar = lo;
      } else {
        this.dfsr = fsr;
        this.dfar = lo;
      }
    }
    return -1;
  }
}

function checkPl(pl: unknown): asserts pl is ArmPl {
  if (pl !== 0 && pl !== 1) throw new RangeError(`${WORD}: privilege level ${String(pl)} is not 0 (PL0) or 1 (PL1)`);
}
