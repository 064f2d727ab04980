/**
 * The x86 MMU's register decoder: the raw CR0, CR3, CR4, EFER, PKRU,
 * IA32_PKRS values, MAXPHYADDR and the PAE PDPTE registers turned into one
 * immutable configuration of the translation they select (SDM Vol. 3A §4.1.1
 * paging modes, §4.3 32-bit paging, §4.4 PAE paging, §4.5 CR3 and reserved
 * bits, §4.6 rights), rebuilt whenever a register is written.
 *
 * @module
 */

import {
  createSoftTlb,
  halvesValue,
  levelPageSize,
  PageSize,
  type PhysMemory,
  registerHalves,
  type SoftTlb,
} from '@page-table/core';
import { type AddrLike, hi32, lo32, type PhysAddr } from '@page-table/memory-addr';
import type { X64Fault } from './fault.js';
import {
  accessErrorBits,
  buildX64Rights,
  rightsStateFor,
  rightsTableFor,
  type X64Rights,
  type X64RightsState,
} from './mmu-rights.js';
import { loadPdptes, NO_PDPTES, type X64Pdptes } from './pdpte.js';
import { X64_RESET, X64Cr0, X64Cr4, X64Efer, X64Rflags } from './registers.js';
import { movToCr3 } from './tlb-invalidate.js';

/** Paging disabled (CR0.PG = 0): linear = physical. */
export const MODE_DISABLED = 0;
/** 4-level or 5-level paging in IA-32e mode. */
export const MODE_LONG = 1;
/** 32-bit paging (CR0.PG = 1, CR4.PAE = 0; SDM §4.3): two levels of 4-byte entries, 4 MiB pages with CR4.PSE. */
export const MODE_32 = 2;
/** PAE paging (CR0.PG = 1, CR4.PAE = 1, EFER.LME = 0; SDM §4.4): four PDPTE registers, then PD and PT of 8-byte entries. */
export const MODE_PAE = 3;

const XD_HI = 0x8000_0000;
// CR0 bits whose change reloads the PDPTEs in PAE paging (SDM §4.4.1): CD (30), NW (29), PG (31).
const CR0_PDPTE = 0xe000_0000;
// CR4 bits whose change reloads them: PSE, PAE, PGE, SMEP.
const CR4_PDPTE = X64Cr4.PSE | X64Cr4.PAE | X64Cr4.PGE | X64Cr4.SMEP;
const ADDR_HI = 0xfffff;
const TWO20 = 0x10_0000;

/** The registers the decoder reads, as canonical unsigned values. */
export interface X64RawRegisters {
  /** CR0. */
  cr0: number | bigint;
  /** CR3, without the no-flush bit 63. */
  cr3: number | bigint;
  /** CR4. */
  cr4: number | bigint;
  /** IA32_EFER. */
  efer: number | bigint;
  /** PKRU. */
  pkru: number | bigint;
  /** IA32_PKRS. */
  pkrs: number | bigint;
  /** MAXPHYADDR, 32..52. */
  maxPhyAddr: number;
}

/** What a register state means for translation; never changed once built. */
export interface X64MmuConfig {
  /** {@link MODE_DISABLED}, {@link MODE_LONG}, {@link MODE_32} or {@link MODE_PAE}. */
  readonly mode: number;
  /** Level of the root table: 3 (PML4) or 4 (PML5, CR4.LA57); 1 (the PD) in 32-bit and PAE paging. */
  readonly top: number;
  /** Arithmetic shift of the VA's high word that leaves 0 or -1 for a canonical VA (15 for 48 bits, 24 for 57). */
  readonly canonShift: number;
  /** 4 KiB frame of the root table (CR3 bits M-1:12; bits 31:12 in 32-bit paging). */
  readonly rootFrame: number;
  /** PA of the PDPT the PDPTE registers were loaded from (CR3 bits 31:5, PAE paging). */
  readonly pdptPa: number;
  /** The PDPTE registers (PAE paging; all not present otherwise). */
  readonly pdpte: X64Pdptes;
  /** CR4.PSE in 32-bit paging: a PDE with PS = 1 maps a 4 MiB page. */
  readonly pse: boolean;
  /** Reserved bits of a 4 MiB PDE (32-bit paging): bit 21 and PSE-36 address bits at or above min(M, 40). */
  readonly rsvd4M: number;
  /** The PCID (CR3[11:0] when CR4.PCIDE = 1, else 0): the TLB tag. */
  readonly asid: number;
  /** CR4.PCIDE. */
  readonly pcide: boolean;
  /** CR4.PGE: G = 1 translations are global. */
  readonly pge: boolean;
  /** Reserved bits of an entry's high word: bits 51:M (62:M in PAE paging), and XD while EFER.NXE = 0. */
  readonly rsvdHi: number;
  /** The permission tables of CR0.WP, SMEP, SMAP, NXE and the keys. */
  readonly rights: X64Rights;
}

/** Decodes a register state (see the module), with the PDPTE registers last loaded (PAE paging). */
export function decodeX64Config(r: X64RawRegisters, pdpte: X64Pdptes = NO_PDPTES): X64MmuConfig {
  const cr0 = lo32(r.cr0);
  const cr4 = lo32(r.cr4);
  const efer = lo32(r.efer);
  const pg = (cr0 & X64Cr0.PG) !== 0;
  const pae = (cr4 & X64Cr4.PAE) !== 0;
  const ia32e = (efer & (X64Efer.LMA | X64Efer.LME)) !== 0;
  const la57 = (cr4 & X64Cr4.LA57) !== 0;
  const m = r.maxPhyAddr;
  const hiMask = m >= 52 ? ADDR_HI : (1 << (m - 32)) - 1;
  const mode = !pg ? MODE_DISABLED : pae && ia32e ? MODE_LONG : pae ? MODE_PAE : MODE_32;
  const long = mode === MODE_LONG;
  // XD exists with PAE (EFER.NXE), PCIDs and protection keys only in IA-32e mode (SDM §4.1.1, §4.6.2, §4.10.1).
  const nxe = (efer & X64Efer.NXE) !== 0 && mode !== MODE_32;
  const pcide = (cr4 & X64Cr4.PCIDE) !== 0 && long;
  const rights = buildX64Rights(
    (cr0 & X64Cr0.WP) !== 0,
    {
      smep: (cr4 & X64Cr4.SMEP) !== 0,
      smap: (cr4 & X64Cr4.SMAP) !== 0,
      pke: (cr4 & X64Cr4.PKE) !== 0 && long,
      pks: (cr4 & X64Cr4.PKS) !== 0 && long,
    },
    nxe,
    lo32(r.pkru),
    lo32(r.pkrs),
  );
  // 32-bit paging: a 4 MiB PDE holds PA bits (M'-1):32 in bits (M'-20):13, M' = min(M, 40); bits 21:(M'-19) are reserved (Table 4-4).
  const m36 = Math.min(m, 40);
  return Object.freeze({
    mode,
    top: long ? (la57 ? 4 : 3) : 1,
    canonShift: la57 ? 24 : 15,
    rootFrame: mode === MODE_32 ? lo32(r.cr3) >>> 12 : (lo32(r.cr3) >>> 12) + (hi32(r.cr3) & hiMask) * TWO20,
    pdptPa: (lo32(r.cr3) & 0xffff_ffe0) >>> 0,
    pdpte: mode === MODE_PAE ? pdpte : NO_PDPTES,
    pse: mode === MODE_32 && (cr4 & X64Cr4.PSE) !== 0,
    rsvd4M: (0x3f_e000 & ~((1 << (m36 - 19)) - 1)) >>> 0,
    asid: pcide ? lo32(r.cr3) & 0xfff : 0,
    pcide,
    pge: (cr4 & X64Cr4.PGE) !== 0,
    rsvdHi: (((mode === MODE_PAE ? 0x7fff_ffff : ADDR_HI) & ~hiMask) | (nxe ? 0 : XD_HI)) >>> 0,
    rights,
  });
}

/** The size of a leaf at `level` in the paging mode of `cfg`: a PD leaf is 4 MiB in 32-bit paging, 2 MiB otherwise. */
export function x86LeafSize(cfg: X64MmuConfig, level: number): PageSize {
  return cfg.mode === MODE_32 && level === 1 ? PageSize.Size4M : levelPageSize(level);
}

/**
 * The paging mode that CR0, CR4 and EFER select (SDM §4.1.1, Table 4-1),
 * without building an MMU: e.g. to check registers against a table's format
 * before loading PAE PDPTEs from memory.
 */
export function x64PagingMode(r: { cr0: AddrLike; cr4: AddrLike; efer: AddrLike }): X64PagingMode {
  const cr4 = lo32(r.cr4);
  if ((lo32(r.cr0) & X64Cr0.PG) === 0) return 'disabled';
  if ((cr4 & X64Cr4.PAE) === 0) return '32-bit';
  if ((lo32(r.efer) & (X64Efer.LMA | X64Efer.LME)) === 0) return 'pae';
  return (cr4 & X64Cr4.LA57) !== 0 ? '5-level' : '4-level';
}

/** Whether the registers select PAE paging (CR0.PG, CR4.PAE, not IA-32e mode). */
function paePaging(r: X64RawRegisters): boolean {
  return x64PagingMode(r) === 'pae';
}

/** Whether VA bits 63:47 (63:56 with LA57) of the high word `hi` are all equal; always outside IA-32e mode, where linear addresses are 32 bits. */
export function isCanonicalHi(cfg: X64MmuConfig, hi: number): boolean {
  const t = (hi | 0) >> cfg.canonShift;
  return t === 0 || t === -1 || cfg.mode !== MODE_LONG;
}

/**
 * The CPU state an {@link X64Mmu} starts from: raw register values named as in
 * the SDM. Every register left out takes its RESET value ({@link X64_RESET}).
 */
export interface X64MmuOptions {
  /** CR0 (PG bit 31, WP bit 16). Reset 0x6000_0010: paging off. */
  cr0?: AddrLike;
  /** CR3: root table PA in bits M-1:12; the PCID in bits 11:0 when CR4.PCIDE = 1. Reset 0. */
  cr3?: AddrLike;
  /** CR4 (PAE, PGE, LA57, PCIDE, SMEP, SMAP, PKE, PKS). Reset 0. */
  cr4?: AddrLike;
  /** IA32_EFER (LME bit 8, LMA bit 10, NXE bit 11). Reset 0. */
  efer?: AddrLike;
  /** Current privilege level 0..3; 3 makes every access a user-mode access. Reset 0. */
  cpl?: number;
  /** RFLAGS (AC bit 18 matters, with CR4.SMAP). Reset 0x2. */
  rflags?: AddrLike;
  /** PKRU: AD/WD bit pairs for the 16 keys of user-mode pages (with CR4.PKE). Reset 0. */
  pkru?: AddrLike;
  /** IA32_PKRS: AD/WD bit pairs for the 16 keys of supervisor-mode pages (with CR4.PKS). Reset 0. */
  pkrs?: AddrLike;
  /**
   * MAXPHYADDR, the physical-address width M (CPUID 8000_0008H EAX[7:0]),
   * 32..52: entry bits 51:M are reserved. Default 52. QEMU 7.2's TCG uses 40.
   */
  maxPhyAddr?: number;
  /** Software-TLB entries: a power of two, or 0 for no TLB (every translation walks). Default 256. */
  tlbEntries?: number;
}

/**
 * The paging mode the registers select (SDM §4.1.1, Table 4-1):
 * `disabled` (CR0.PG = 0: linear = physical), `32-bit` (CR4.PAE = 0),
 * `pae` (CR4.PAE = 1 outside IA-32e mode), `4-level`, `5-level` (CR4.LA57).
 */
export type X64PagingMode = 'disabled' | '32-bit' | 'pae' | '4-level' | '5-level';

/**
 * A register value as its unsigned halves (core's register rule), except that
 * a negative int32, as JS bit operations produce (`0x8000_0011 | 0x1_0000` is
 * negative), is read as its unsigned 32-bit value.
 */
function regHalves(x: AddrLike, name: string): readonly [hi: number, lo: number] {
  const v = typeof x === 'number' && x < 0 && x >= -0x8000_0000 && Number.isInteger(x) ? x >>> 0 : x;
  return registerHalves(v, 'X64Mmu', name);
}

/** A register value in the canonical unsigned form its getter returns. */
function regValue(x: AddrLike, name: string): number | bigint {
  const [hi, lo] = regHalves(x, name);
  return halvesValue(hi, lo);
}

function checkCpl(cpl: number): number {
  if (!Number.isInteger(cpl) || cpl < 0 || cpl > 3) throw new RangeError(`cpl ${cpl} is not 0..3`);
  return cpl;
}

function checkMaxPhyAddr(m: number): number {
  if (!Number.isInteger(m) || m < 32 || m > 52) throw new RangeError(`maxPhyAddr ${m} is outside 32..52`);
  return m;
}

/** The #GP(0) a register write raises when the PDPTEs it loads have reserved bits set. */
const GP0 = Object.freeze({ vector: 13, errorCode: 0 } as const);

/**
 * The register file of an {@link X64Mmu}: the CR0, CR3, CR4, EFER, RFLAGS,
 * PKRU, IA32_PKRS values and CPL as the guest wrote them, the PDPTE
 * registers of PAE paging, their decoded configuration, the permission
 * table of the current privilege, and the TLB flushes each write makes
 * (SDM §4.10.4.1).
 */
export class X64MmuRegisters {
  /** The physical memory the paging structures (and the PAE PDPT) are read from. */
  readonly mem: PhysMemory;
  /** The software TLB the register writes flush. @hidden */
  protected readonly tlb: SoftTlb;
  /** The registers as written (canonical number | bigint). @hidden */
  protected readonly regs: X64RawRegisters;
  /** What the registers decode to. @hidden */
  protected cfg: X64MmuConfig;
  /** The permission table of the current CPL / RFLAGS.AC. @hidden */
  protected rights: Uint8Array;
  /** The #PF error-code bits of each access kind in the current privilege state. @hidden */
  protected readonly accEc: Uint8Array = new Uint8Array(3);
  private cplValue: number;
  private rflagsValue: number | bigint;
  private pdpteRegs: X64Pdptes = NO_PDPTES;
  private pdpteWhy: string | undefined;

  /**
   * The registers of `options` (RESET values for those left out) over `mem`
   * and a TLB of `options.tlbEntries`. In PAE paging the PDPTEs are loaded
   * from `mem`; a present one with reserved bits set throws `RangeError`
   * (the CPU could not have reached that state).
   */
  constructor(mem: PhysMemory, options: X64MmuOptions) {
    this.mem = mem;
    this.tlb = createSoftTlb(options.tlbEntries, 'x86_64 MMU');
    const reg = (v: AddrLike | undefined, reset: number, name: string) => (v === undefined ? reset : regValue(v, name));
    const [cr3Hi, cr3Lo] = options.cr3 === undefined ? [0, X64_RESET.cr3] : regHalves(options.cr3, 'cr3');
    this.regs = {
      cr0: reg(options.cr0, X64_RESET.cr0, 'cr0'),
      cr3: halvesValue(cr3Hi & 0x7fff_ffff, cr3Lo),
      cr4: reg(options.cr4, X64_RESET.cr4, 'cr4'),
      efer: reg(options.efer, X64_RESET.efer, 'efer'),
      pkru: reg(options.pkru, X64_RESET.pkru, 'pkru'),
      pkrs: reg(options.pkrs, X64_RESET.pkrs, 'pkrs'),
      maxPhyAddr: checkMaxPhyAddr(options.maxPhyAddr ?? 52),
    };
    this.rflagsValue = reg(options.rflags, X64_RESET.rflags, 'rflags');
    this.cplValue = checkCpl(options.cpl ?? X64_RESET.cpl);
    if (paePaging(this.regs)) {
      const why = this.reloadPdptes();
      if (why !== undefined) throw new RangeError(`X64Mmu: ${why}`);
    }
    this.cfg = decodeX64Config(this.regs, this.pdpteRegs);
    this.rights = this.selectRights();
  }

  // Each setter is the guest's write of that register: the configuration is
  // decoded again, and the TLB flushed as the SDM says.

  /** CR0 as last written; the MMU reads PG (bit 31, paging on) and WP (bit 16, supervisor writes honour R/W). */
  get cr0(): number | bigint {
    return this.regs.cr0;
  }
  /** MOV to CR0: exactly {@link writeCr0}; throws `RangeError` (nothing changed) where the instruction raises #GP(0). */
  set cr0(value: AddrLike) {
    this.orThrow(this.writeCr0(value));
  }

  /**
   * MOV to CR0: a change of PG flushes every translation (SDM §4.10.4.1); WP
   * is re-applied per access, so it flushes nothing. In PAE paging a change
   * of CD, NW or PG loads the PDPTEs (§4.4.1): returns the #GP(0) of a
   * present PDPTE with reserved bits, and then nothing changed.
   */
  writeCr0(value: AddrLike): X64Fault | undefined {
    const v = regValue(value, 'cr0');
    const old = this.regs.cr0;
    const changed = lo32(v) ^ lo32(old);
    this.regs.cr0 = v;
    if (changed & CR0_PDPTE && this.pdpteFault()) {
      this.regs.cr0 = old;
      return GP0;
    }
    if (changed & X64Cr0.PG) this.tlb.flushAll();
    this.decode();
    return undefined;
  }

  /** CR3 as last written, without the no-flush bit 63: the root table's PA in bits M-1:12, the PCID in bits 11:0 when CR4.PCIDE = 1. */
  get cr3(): number | bigint {
    return this.regs.cr3;
  }
  /** MOV to CR3: exactly {@link writeCr3}, which says which translations it drops; throws `RangeError` (nothing changed) where it raises #GP(0). */
  set cr3(value: AddrLike) {
    this.orThrow(this.writeCr3(value));
  }

  /**
   * MOV to CR3 (SDM §4.10.4.1): with CR4.PCIDE = 0 drops every non-global
   * translation; with PCIDE = 1 drops the non-global translations of the new
   * PCID (bits 11:0) unless bit 63 of `value` is set, and keeps other PCIDs'.
   * Global translations survive (they are only made while CR4.PGE = 1). In
   * PAE paging it loads the PDPTEs from CR3[31:5] (§4.4.1): returns the
   * #GP(0) of a present PDPTE with reserved bits, and then nothing changed.
   */
  writeCr3(value: AddrLike): X64Fault | undefined {
    const [hi, lo] = regHalves(value, 'cr3');
    const noFlush = this.cfg.pcide && (hi & 0x8000_0000) !== 0;
    const old = this.regs.cr3;
    this.regs.cr3 = halvesValue(hi & 0x7fff_ffff, lo);
    if (this.pdpteFault()) {
      this.regs.cr3 = old;
      return GP0;
    }
    this.decode();
    movToCr3(this.tlb, this.cfg, noFlush);
    return undefined;
  }

  /** CR4 as last written; the MMU reads PAE, PGE, LA57, PCIDE, SMEP, SMAP, PKE and PKS ({@link X64Cr4}). */
  get cr4(): number | bigint {
    return this.regs.cr4;
  }
  /** MOV to CR4: exactly {@link writeCr4}; throws `RangeError` (nothing changed) where the instruction raises #GP(0). */
  set cr4(value: AddrLike) {
    this.orThrow(this.writeCr4(value));
  }

  /**
   * MOV to CR4: a change of PGE or PCIDE flushes every translation, global
   * ones too (SDM §4.10.4.1), as does a paging-mode change (PAE, PSE, LA57);
   * SMEP, SMAP, PKE and PKS are re-applied per access, so they flush nothing.
   * In PAE paging a change of PAE, PGE, PSE or SMEP loads the PDPTEs
   * (§4.4.1): returns the #GP(0) of a present PDPTE with reserved bits, and
   * then nothing changed.
   */
  writeCr4(value: AddrLike): X64Fault | undefined {
    const v = regValue(value, 'cr4');
    const old = this.regs.cr4;
    const changed = lo32(v) ^ lo32(old);
    this.regs.cr4 = v;
    if (changed & CR4_PDPTE && this.pdpteFault()) {
      this.regs.cr4 = old;
      return GP0;
    }
    if (changed & (X64Cr4.PGE | X64Cr4.PCIDE | X64Cr4.PAE | X64Cr4.PSE | X64Cr4.LA57)) this.tlb.flushAll();
    this.decode();
    return undefined;
  }

  /**
   * Loads the PDPTE registers from CR3[31:5] again, as the CPU does on the
   * writes above, a task switch or a VM entry (e.g. after restoring guest
   * RAM). Returns the #GP(0) of a present PDPTE with reserved bits (the old
   * registers kept); outside PAE paging does nothing.
   */
  loadPdptes(): X64Fault | undefined {
    if (this.pdpteFault()) return GP0;
    this.decode();
    return undefined;
  }

  /** The PDPTE registers as 64-bit values (PAE paging; four zeros otherwise). */
  get pdptes(): bigint[] {
    const p = this.cfg.pdpte;
    return [0, 1, 2, 3].map((i) => (BigInt(p[2 * i + 1]) << 32n) | BigInt(p[2 * i]));
  }

  /** Why the last PDPTE load (by a register write or {@link loadPdptes}) raised #GP(0); `undefined` when it succeeded. */
  get pdpteError(): string | undefined {
    return this.pdpteWhy;
  }

  /** IA32_EFER (MSR 0xC000_0080) as last written; the MMU reads LME (bit 8), LMA (bit 10) and NXE (bit 11). */
  get efer(): number | bigint {
    return this.regs.efer;
  }
  /**
   * WRMSR 0xC000_0080: a change of NXE (whether bit 63 of an entry is XD or
   * reserved) or of LME / LMA (the paging mode) flushes every translation.
   * A write that enters PAE paging loads the PDPTEs; throws `RangeError`
   * (nothing changed) when that raises #GP(0).
   */
  set efer(value: AddrLike) {
    const v = regValue(value, 'efer');
    const old = this.regs.efer;
    const wasPae = paePaging(this.regs);
    const changed = lo32(v) ^ lo32(old);
    this.regs.efer = v;
    // Leaving IA-32e mode with paging on (which the CPU refuses, but an emulator may set registers in any order) enters PAE paging.
    if (!wasPae && this.pdpteFault()) {
      this.regs.efer = old;
      this.orThrow(GP0);
    }
    if (changed & (X64Efer.NXE | X64Efer.LME | X64Efer.LMA)) this.tlb.flushAll();
    this.decode();
  }

  /** Current privilege level 0..3; at CPL 3 every access is a user-mode access (SDM §4.6). */
  get cpl(): number {
    return this.cplValue;
  }
  /** A privilege change (e.g. SYSCALL, IRET): throws `RangeError` outside 0..3; rights are checked on every access, TLB hits included, so nothing is flushed. */
  set cpl(value: number) {
    this.cplValue = checkCpl(value);
    this.rights = this.selectRights();
  }

  /** RFLAGS as last written; the MMU reads only AC (bit 18), which lifts SMAP for explicit supervisor accesses. */
  get rflags(): number | bigint {
    return this.rflagsValue;
  }
  /** A write of RFLAGS (STAC, CLAC, POPF): AC is re-applied on every access, so nothing is flushed. */
  set rflags(value: AddrLike) {
    this.rflagsValue = regValue(value, 'rflags');
    this.rights = this.selectRights();
  }

  /** PKRU: the access-disable (AD, bit 2k) and write-disable (WD, bit 2k+1) pair of each protection key k of user-mode pages, with CR4.PKE. */
  get pkru(): number | bigint {
    return this.regs.pkru;
  }
  /** WRPKRU: the new key rights apply from the next access, TLB hits included, so nothing is flushed. */
  set pkru(value: AddrLike) {
    this.regs.pkru = regValue(value, 'pkru');
    this.decode();
  }

  /** IA32_PKRS (MSR 0x6E1): the AD / WD pair of each protection key of supervisor-mode pages, as {@link pkru}, with CR4.PKS. */
  get pkrs(): number | bigint {
    return this.regs.pkrs;
  }
  /** WRMSR 0x6E1: the new key rights apply from the next access, TLB hits included, so nothing is flushed. */
  set pkrs(value: AddrLike) {
    this.regs.pkrs = regValue(value, 'pkrs');
    this.decode();
  }

  /** MAXPHYADDR, the physical-address width M in bits (32..52): paging-entry bits 51:M are reserved. */
  get maxPhyAddr(): number {
    return this.regs.maxPhyAddr;
  }
  /** Models a CPU with another physical-address width: throws `RangeError` outside 32..52, else flushes every translation (their reserved-bit checks no longer hold). */
  set maxPhyAddr(value: number) {
    this.regs.maxPhyAddr = checkMaxPhyAddr(value);
    this.tlb.flushAll();
    this.decode();
  }

  /** The paging mode CR0.PG, CR4.PAE, CR4.LA57 and EFER.LME/LMA select. */
  get pagingMode(): X64PagingMode {
    return x64PagingMode(this.regs);
  }

  /** The current PCID (CR3[11:0] when CR4.PCIDE = 1, else 0): the TLB tag of new translations. */
  get pcid(): number {
    return this.cfg.asid;
  }

  /** PA of the root paging structure: the PML4 or PML5 (CR3 bits M-1:12), the PD of 32-bit paging, the PDPT of PAE paging (CR3 bits 31:5). */
  get rootPaddr(): PhysAddr {
    return (this.cfg.mode === MODE_PAE ? this.cfg.pdptPa : this.cfg.rootFrame * 4096) as PhysAddr;
  }

  /** RFLAGS.AC: lifts SMAP for explicit supervisor accesses. @hidden */
  protected get ac(): boolean {
    return (lo32(this.rflagsValue) & X64Rflags.AC) !== 0;
  }

  /** The access-rights state of the current CPL and RFLAGS.AC (what a denial is explained against). @hidden */
  protected rightsState(): X64RightsState {
    return rightsStateFor(this.cfg.rights, this.cplValue, this.ac);
  }

  /** Decodes the registers again (a register was written). */
  private decode(): void {
    this.cfg = decodeX64Config(this.regs, this.pdpteRegs);
    this.rights = this.selectRights();
  }

  /** In PAE paging (by the registers as now written): loads the PDPTEs; true, keeping the old ones, when the load raises #GP(0). */
  private pdpteFault(): boolean {
    this.pdpteWhy = paePaging(this.regs) ? this.reloadPdptes() : undefined;
    return this.pdpteWhy !== undefined;
  }

  /** Loads the PDPTEs from CR3[31:5]: `undefined`, or why the load raises #GP(0) (the registers then unchanged). */
  private reloadPdptes(): string | undefined {
    const r = loadPdptes(this.mem, (lo32(this.regs.cr3) & 0xffff_ffe0) >>> 0, this.regs.maxPhyAddr);
    if (typeof r === 'string') return `loading the PAE PDPTEs raises #GP(0): ${r}`;
    this.pdpteRegs = r;
    return undefined;
  }

  /** A setter's end: throws the #GP(0) of a failed PDPTE load as a `RangeError`. */
  private orThrow(fault: X64Fault | undefined): void {
    if (fault !== undefined) throw new RangeError(`X64Mmu: ${this.pdpteWhy ?? 'the register write raises #GP(0)'}`);
  }

  /** The permission table of the current CPL and RFLAGS.AC, with the access kinds' error-code bits. */
  private selectRights(): Uint8Array {
    const r = this.cfg.rights;
    const s = this.rightsState();
    for (let a = 0; a < 3; a++) this.accEc[a] = accessErrorBits(a, s);
    return rightsTableFor(r, this.cplValue, this.ac);
  }
}
