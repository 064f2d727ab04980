/**
 * The AArch64 MMU's system registers: the raw TTBRn_ELx, TCR_ELx, SCTLR_ELx
 * and MAIR_ELx values, EL and PAN, held as the two translation regimes
 * decoded from them (each an immutable value rebuilt by its setters), and
 * what a register write must invalidate.
 *
 * @module
 */

import { checkTlbEntries, registerHalves, SoftTlb } from '@page-table/core';
import { fromHalves } from '@page-table/memory-addr';
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
   * HPD0/HPD1 [41]/[42], TBID0/TBID1 [51]/[52], E0PD0/E0PD1 [55]/[56],
   * TG0 [15:14] (00 4 KiB, 01 64 KiB, 10 16 KiB), TG1 [31:30] (01 16 KiB,
   * 10 4 KiB, 11 64 KiB); a reserved TGn value acts as 4 KiB. DS is RES0
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
 * The register file of an {@link A64Mmu}: every MMU register as a property
 * named after it, read back as written, and the regimes decoded from them.
 * A register write is an MSR: it rebuilds its regime and flushes what the
 * architecture says it may have cached (see each setter).
 */
export class A64MmuRegisterFile {
  /** The software TLB (undefined with `tlbEntries: 0`). @hidden */
  protected readonly tlb: SoftTlb | undefined;
  /** The modelled CPU's features. @hidden */
  protected readonly cpu: A64CpuFeatures;
  /** The EL1&0 and EL2 regimes, each rebuilt by its registers' setters; `cur` is the current EL's. @hidden */
  protected el1: A64Regime;
  /** The EL2 regime. @hidden */
  protected el2: A64Regime;
  /** The current EL's regime. @hidden */
  protected cur: A64Regime;
  /** The current Exception level. @hidden */
  protected curEl: number;
  /** PSTATE.PAN. @hidden */
  protected curPan: boolean;
  /** The permission table of the current EL, PAN and the current regime's WXN. @hidden */
  protected lut: Uint8Array;
  /** The micro-TLBs and the last translation. @hidden */
  protected readonly micro = new A64MicroTlb();

  /**
   * The registers of `options` (see {@link A64MmuRegisters} for defaults).
   *
   * @throws RangeError for a register value that is not a 64-bit number or
   * bigint, an `el` other than 0, 1 or 2, SCTLR_ELx.EE set, an unknown
   * `paBits`, or a TLB size that is not 0 or a power of two.
   */
  constructor(options: A64MmuOptions = {}) {
    const pab = options.paBits ?? 48;
    const parange = PA_SIZES.indexOf(pab);
    if (parange < 0) throw new RangeError(`${WHO}: paBits ${pab} is not one of ${PA_SIZES.join(', ')}`);
    this.cpu = { paBits: Math.min(pab, 48), parange, ttst: options.ttst ?? false, hafdbs: options.hafdbs ?? true };
    const n = checkTlbEntries(options.tlbEntries, WHO);
    this.tlb = n === 0 ? undefined : new SoftTlb(n);
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
   * @hidden
   */
  protected write(el2: boolean, key: keyof A64RegimeRegs, v: A64RegValue, what: string): void {
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

  /** Picks the current regime and permission table after a register, EL or PAN change, and empties the micro-TLBs. @hidden */
  protected select(): void {
    this.cur = this.curEl === 2 ? this.el2 : this.el1;
    this.lut = permTable(this.curEl, this.curPan, this.cur.wxn);
    this.micro.drop();
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
