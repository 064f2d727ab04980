/**
 * The ARMv7-A emulator MMU: access-checked stage-1 translation of the PL1&0
 * regime through short-descriptor or long-descriptor (LPAE) tables in guest
 * RAM, with the exact DFSR/IFSR and DFAR/IFAR of each abort, a
 * side-effect-free debug walk and an ASID-tagged software TLB.
 *
 * Sources: Arm ARM (ARM DDI 0406C) B3 "Virtual Memory System Architecture":
 * B3.5 short-descriptor format, B3.6 long-descriptor format, B3.7 memory
 * access control, B3.8 memory region attributes, B3.13 exception reporting;
 * B4.1 the CP15 registers; B4.2 TLB maintenance.
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
  isVa32,
  MappingFlags,
  type MmuFaultReport,
  type MmuInfo,
  type MmuStats,
  newMmuStats,
  type PhysMemory,
  resetMmuStats,
  type SoftTlb,
  sharedReport,
  type TranslateResult,
  vaHalves,
  vaHi,
  vaLo,
} from '@page-table/core';
import type { AddrLike, PhysAddr } from '@page-table/memory-addr';
import { ArmFaultCode, type ArmV7Fault } from './fault.js';
import { ArmFaultRegisters } from './fault-registers.js';
import { ArmPl, type ArmV7Config, type ArmV7Registers, decodeArmV7Config } from './mmu-config.js';
import { type ArmV7DebugTranslation, armV7DebugReport } from './mmu-debug.js';
import {
  type ArmV7MmuOptions,
  checkPl,
  initialRegisters,
  type Register32,
  register32,
  ttbrHalves,
} from './mmu-options.js';
import { ARMV7_LPAE_MMU_INFO, ARMV7_SHORT_MMU_INFO, describeArmV7Fault } from './mmu-report.js';
import { effectiveFlags, PERM_SIZE_SHIFT, permits, permSize, TLB_LEVEL } from './mmu-rights.js';
import { ArmWalkState, walkLpae, walkShort } from './mmu-walk.js';
import { tlbiall, tlbiasid, tlbimva, tlbimvaa } from './tlb-invalidate.js';

export { ArmPl, Domain } from './mmu-config.js';
export type { ArmV7DebugTranslation } from './mmu-debug.js';
export type { ArmV7MmuOptions } from './mmu-options.js';

const RWX = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE;

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
  private readonly tlb: SoftTlb;
  private readonly ws: ArmWalkState;
  private readonly pxnImpl: boolean;
  private cfg: ArmV7Config;
  private readonly aborts: ArmFaultRegisters = new ArmFaultRegisters();
  // The last success: the leaf's perm word (-1: MMU off), at privilege lastPl under DACR lastDacr.
  private lastPerm = -1;
  private lastPl: number = ArmPl.Privileged;
  private lastDacr = 0;

  /** An MMU over `mem` in the state `options` gives; throws `RangeError` for a value no register can hold. */
  constructor(mem: PhysMemory, options: ArmV7MmuOptions = {}) {
    this.tlb = createSoftTlb(options.tlbEntries, 'ArmV7Mmu');
    this.ws = new ArmWalkState(mem);
    this.pxnImpl = options.pxn !== false;
    this.cfg = decodeArmV7Config(initialRegisters(options), this.pxnImpl);
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

  // A 32-bit register write; `flushOnChange`: a new value flushes the TLB.
  private set32(reg: Register32, v: number, flushOnChange: boolean): void {
    const x = register32(v, reg);
    this.write({ [reg]: x }, flushOnChange && x !== this.cfg[reg]);
  }

  /** SCTLR. */
  get sctlr(): number {
    return this.cfg.sctlr;
  }
  /** SCTLR write (MCR p15, 0, Rt, c1, c0, 0): a change flushes the TLB. */
  set sctlr(v: number) {
    this.set32('sctlr', v, true);
  }

  /** TTBCR. */
  get ttbcr(): number {
    return this.cfg.ttbcr;
  }
  /** TTBCR write: a change flushes the TLB. */
  set ttbcr(v: number) {
    this.set32('ttbcr', v, true);
  }

  /** TTBR0 as written (a number below 2^53, else a bigint). */
  get ttbr0(): number | bigint {
    return halvesValue(this.cfg.ttbr0Hi, this.cfg.ttbr0Lo);
  }
  /** TTBR0 write (MCR or, for LPAE, MCRR): flushes nothing (entries are ASID-tagged). */
  set ttbr0(v: number | bigint) {
    const [hi, lo] = ttbrHalves(v, 'ttbr0');
    this.write({ ttbr0Hi: hi, ttbr0Lo: lo }, false);
  }

  /** TTBR1 as written. */
  get ttbr1(): number | bigint {
    return halvesValue(this.cfg.ttbr1Hi, this.cfg.ttbr1Lo);
  }
  /** TTBR1 write: flushes nothing. */
  set ttbr1(v: number | bigint) {
    const [hi, lo] = ttbrHalves(v, 'ttbr1');
    this.write({ ttbr1Hi: hi, ttbr1Lo: lo }, false);
  }

  /** DACR: checked on every access, so a write flushes nothing. */
  get dacr(): number {
    return this.cfg.dacr;
  }
  /** DACR write: flushes nothing (hits re-check the domain). */
  set dacr(v: number) {
    this.set32('dacr', v, false);
  }

  /** CONTEXTIDR (ASID [7:0] in the short format). */
  get contextidr(): number {
    return this.cfg.contextidr;
  }
  /** CONTEXTIDR write: a new ASID tags new entries; flushes nothing. */
  set contextidr(v: number) {
    this.set32('contextidr', v, false);
  }

  /** PRRR. */
  get prrr(): number {
    return this.cfg.prrr;
  }
  /** PRRR write: a change flushes the TLB. */
  set prrr(v: number) {
    this.set32('prrr', v, true);
  }

  /** NMRR. */
  get nmrr(): number {
    return this.cfg.nmrr;
  }
  /** NMRR write: a change flushes the TLB. */
  set nmrr(v: number) {
    this.set32('nmrr', v, true);
  }

  /** MAIR0. */
  get mair0(): number {
    return this.cfg.mair0;
  }
  /** MAIR0 write: a change flushes the TLB. */
  set mair0(v: number) {
    this.set32('mair0', v, true);
  }

  /** MAIR1. */
  get mair1(): number {
    return this.cfg.mair1;
  }
  /** MAIR1 write: a change flushes the TLB. */
  set mair1(v: number) {
    this.set32('mair1', v, true);
  }

  /** The current privilege level (0 PL0, 1 PL1); throws `RangeError` for another value. Hits re-check it. */
  get pl(): ArmPl {
    return this.cfg.pl;
  }
  /** A mode change (exception entry, return); hits re-check the privilege, so nothing is flushed. */
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
    const [hi, lo] = vaHalves(va, 'ArmV7Mmu');
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
    if (hi !== 0 && !isVa32(hi, lo)) {
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
    return this.aborts.last();
  }

  /** DFSR: the status of the last Data Abort (0 before any). */
  get dfsr(): number {
    return this.aborts.dfsr;
  }

  /** DFAR: the VA of the last Data Abort. */
  get dfar(): number {
    return this.aborts.dfar;
  }

  /** IFSR: the status of the last Prefetch Abort (0 before any). */
  get ifsr(): number {
    return this.aborts.ifsr;
  }

  /** IFAR: the VA of the last Prefetch Abort. */
  get ifar(): number {
    return this.aborts.ifar;
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
    this.aborts.record(code, level, this.cfg.lpae, domain, hi, lo, access);
    this.stats.faults++;
    return -1;
  }
}
