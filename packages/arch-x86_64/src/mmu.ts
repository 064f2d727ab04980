/**
 * `X64Mmu`: the x86_64 emulator MMU — access-checked 4-level / 5-level
 * linear-address translation with the exact #PF / #GP fault, the
 * Accessed/Dirty writes the processor makes, a side-effect-free debug walk
 * and a PCID-tagged software TLB (Intel SDM Vol. 3A ch. 4: §4.5 paging
 * structures, §4.6 access rights, §4.7 page-fault exceptions, §4.8 A/D flags,
 * §4.10 TLBs).
 *
 * @module
 */

import {
  Access,
  accessError,
  checkAccess,
  createSoftTlb,
  type DebugTranslation,
  type EmulatorMmu,
  EntryCas,
  halvesValue,
  levelPageSize,
  MappingFlags,
  type MmuFaultReport,
  type MmuInfo,
  type MmuStats,
  newMmuStats,
  type PageSize,
  type PhysMemory,
  resetMmuStats,
  type SoftTlb,
  sharedReport,
  type TranslateResult,
  vaHalves,
  vaHi,
  vaLo,
  type WalkStep,
} from '@page-table/core';
import {
  type AddrLike,
  fromHalves,
  hi32,
  lo32,
  type PhysAddr,
  toAddrValue,
  type VirtAddr,
} from '@page-table/memory-addr';
import type { X64Fault, X64FaultReason } from './fault.js';
import {
  decodeX64Config,
  isCanonicalHi,
  MODE_DISABLED,
  MODE_LEGACY,
  MODE_LONG,
  type X64MmuConfig,
  type X64RawRegisters,
} from './mmu-config.js';
import { describeX64Fault, X64_MMU_INFO } from './mmu-report.js';
import {
  accessErrorBits,
  PERM_D,
  PERM_IDENTITY,
  PERM_ROW,
  permFlags,
  rightsStateFor,
  rightsTableFor,
} from './mmu-rights.js';
import { describeX64Stop, walkX64, type X64AdUpdate, X64WalkState } from './mmu-walk.js';
import { X64_RESET, X64Cr0, X64Cr4, X64Efer, X64Rflags } from './registers.js';
import { invlpg, invpcid, movToCr3 } from './tlb-invalidate.js';

export type { X64AdUpdate } from './mmu-walk.js';

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
 * `disabled` (CR0.PG = 0: linear = physical), `4-level`, `5-level` (CR4.LA57),
 * or `legacy` (32-bit or PAE paging outside IA-32e mode — not modelled:
 * translating in it throws).
 */
export type X64PagingMode = 'disabled' | '4-level' | '5-level' | 'legacy';

/** What a debug walk reports beyond {@link DebugTranslation}. */
export interface X64DebugTranslation extends DebugTranslation<X64Fault> {
  /**
   * Effective permissions of the leaf the walk reached, for the current CPL
   * and control registers (also when the access asked about faulted);
   * `undefined` when no leaf was reached (as on every MMU).
   */
  readonly permissions?: MappingFlags;
  /** Size of the leaf the walk reached, when it reached one. */
  readonly leafSize?: PageSize;
  /**
   * The A/D writes `translate` would make on a TLB miss, root first (absent
   * when none): A in every paging-structure entry the walk passes with A = 0
   * — made even when the access then faults — and, only if the access is
   * allowed, A on the leaf and D too for a write (SDM §4.8).
   */
  readonly adUpdates?: readonly X64AdUpdate[];
}

const WRITE = Access.Write;

/**
 * A register value as its canonical unsigned form. A negative int32, as JS
 * bit operations produce (`0x8000_0011 | 0x1_0000` is negative), is read as
 * its unsigned 32-bit value.
 */
function regValue(x: AddrLike, name: string): number | bigint {
  if (typeof x === 'number' && x < 0 && x >= -0x8000_0000 && Number.isInteger(x)) return x >>> 0;
  return toAddrValue(x, name);
}

function checkCpl(cpl: number): number {
  if (!Number.isInteger(cpl) || cpl < 0 || cpl > 3) throw new RangeError(`cpl ${cpl} is not 0..3`);
  return cpl;
}

function checkMaxPhyAddr(m: number): number {
  if (!Number.isInteger(m) || m < 32 || m > 52) throw new RangeError(`maxPhyAddr ${m} is outside 32..52`);
  return m;
}

function legacyError(): Error {
  return new Error('X64Mmu: 32-bit and PAE paging outside IA-32e mode (CR0.PG = 1, EFER.LME = 0) are not modelled');
}

/**
 * The x86_64 MMU of an emulated CPU: translates linear addresses through the
 * 4-level or 5-level paging structures in guest RAM, read in place through a
 * {@link PhysMemory} (e.g. a `RamHandler` over the emulator's ArrayBuffer,
 * SharedArrayBuffer or WebAssembly.Memory), exactly as SDM Vol. 3A ch. 4 has
 * the processor do it:
 *
 * - a non-canonical address raises #GP(0) before any walk;
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
export class X64Mmu implements EmulatorMmu<X64Fault> {
  /** The physical memory the paging structures are read from and A/D bits written to. */
  readonly mem: PhysMemory;
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

  private readonly tlb: SoftTlb;
  private readonly cas = new EntryCas();
  // The registers as written (canonical number | bigint) and what they decode to.
  private readonly regs: X64RawRegisters;
  private cfg: X64MmuConfig;
  private cplValue: number;
  private ac: boolean;
  // The permission table of the current CPL / RFLAGS.AC, and the #PF bits of each access kind there.
  private rights: Uint8Array;
  private readonly accEc = new Uint8Array(3);
  // The last successful translation's leaf level and permission word.
  private lastLevel = 0;
  private lastPerm = 0;
  // The walks' results (a debug walk uses its own, so it changes nothing visible).
  private readonly w: X64WalkState;

  /** An MMU reading the paging structures from `mem`, in the CPU state of `options`. */
  constructor(mem: PhysMemory, options: X64MmuOptions = {}) {
    this.mem = mem;
    this.w = new X64WalkState(mem, this.cas);
    this.tlb = createSoftTlb(options.tlbEntries, 'x86_64 MMU');
    const reg = (v: AddrLike | undefined, reset: number, name: string) => (v === undefined ? reset : regValue(v, name));
    let cr3 = reg(options.cr3, X64_RESET.cr3, 'cr3');
    if (hi32(cr3) & 0x8000_0000) cr3 = fromHalves(hi32(cr3) & 0x7fff_ffff, lo32(cr3));
    this.regs = {
      cr0: reg(options.cr0, X64_RESET.cr0, 'cr0'),
      cr3,
      cr4: reg(options.cr4, X64_RESET.cr4, 'cr4'),
      efer: reg(options.efer, X64_RESET.efer, 'efer'),
      pkru: reg(options.pkru, X64_RESET.pkru, 'pkru'),
      pkrs: reg(options.pkrs, X64_RESET.pkrs, 'pkrs'),
      maxPhyAddr: checkMaxPhyAddr(options.maxPhyAddr ?? 52),
    };
    this.rflagsValue = reg(options.rflags, X64_RESET.rflags, 'rflags');
    this.ac = (lo32(this.rflagsValue) & X64Rflags.AC) !== 0;
    this.cplValue = checkCpl(options.cpl ?? X64_RESET.cpl);
    this.cfg = decodeX64Config(this.regs);
    this.rights = this.selectRights();
  }

  private rflagsValue: number | bigint;

  // ------------------------------------------------------------- registers
  // Each setter is the guest's write of that register: the configuration is
  // decoded again, and the TLB flushed as the SDM says.

  /** CR0 as last written; the MMU reads PG (bit 31, paging on) and WP (bit 16, supervisor writes honour R/W). */
  get cr0(): number | bigint {
    return this.regs.cr0;
  }
  /** MOV to CR0: a change of PG flushes every translation (SDM §4.10.4.1); WP is re-applied per access, so it flushes nothing. */
  set cr0(value: AddrLike) {
    const v = regValue(value, 'cr0');
    const changed = lo32(v) ^ lo32(this.regs.cr0);
    this.regs.cr0 = v;
    if (changed & X64Cr0.PG) this.tlb.flushAll();
    this.decode();
  }

  /** CR3 as last written, without the no-flush bit 63: the root table's PA in bits M-1:12, the PCID in bits 11:0 when CR4.PCIDE = 1. */
  get cr3(): number | bigint {
    return this.regs.cr3;
  }
  /** MOV to CR3: exactly {@link writeCr3}, which says which translations it drops. */
  set cr3(value: AddrLike) {
    this.writeCr3(value);
  }

  /**
   * MOV to CR3 (SDM §4.10.4.1): with CR4.PCIDE = 0 drops every non-global
   * translation; with PCIDE = 1 drops the non-global translations of the new
   * PCID (bits 11:0) unless bit 63 of `value` is set, and keeps other PCIDs'.
   * Global translations survive (they are only made while CR4.PGE = 1).
   */
  writeCr3(value: AddrLike): void {
    const v = regValue(value, 'cr3');
    const hi = hi32(v);
    const noFlush = this.cfg.pcide && (hi & 0x8000_0000) !== 0;
    this.regs.cr3 = fromHalves(hi & 0x7fff_ffff, lo32(v));
    this.decode();
    movToCr3(this.tlb, this.cfg, noFlush);
  }

  /** CR4 as last written; the MMU reads PAE, PGE, LA57, PCIDE, SMEP, SMAP, PKE and PKS ({@link X64Cr4}). */
  get cr4(): number | bigint {
    return this.regs.cr4;
  }
  /**
   * MOV to CR4: a change of PGE or PCIDE flushes every translation, global
   * ones too (SDM §4.10.4.1), as does a paging-mode change (PAE, LA57);
   * SMEP, SMAP, PKE and PKS are re-applied per access, so they flush nothing.
   */
  set cr4(value: AddrLike) {
    const v = regValue(value, 'cr4');
    const changed = lo32(v) ^ lo32(this.regs.cr4);
    this.regs.cr4 = v;
    if (changed & (X64Cr4.PGE | X64Cr4.PCIDE | X64Cr4.PAE | X64Cr4.LA57)) this.tlb.flushAll();
    this.decode();
  }

  /** IA32_EFER (MSR 0xC000_0080) as last written; the MMU reads LME (bit 8), LMA (bit 10) and NXE (bit 11). */
  get efer(): number | bigint {
    return this.regs.efer;
  }
  /**
   * WRMSR 0xC000_0080: a change of NXE (whether bit 63 of an entry is XD or
   * reserved) or of LME / LMA (the paging mode) flushes every translation.
   */
  set efer(value: AddrLike) {
    const v = regValue(value, 'efer');
    const changed = lo32(v) ^ lo32(this.regs.efer);
    this.regs.efer = v;
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
    this.ac = (lo32(this.rflagsValue) & X64Rflags.AC) !== 0;
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
    const c = this.cfg;
    if (c.mode === MODE_DISABLED) return 'disabled';
    if (c.mode === MODE_LEGACY) return 'legacy';
    return c.top === 4 ? '5-level' : '4-level';
  }

  /** The current PCID (CR3[11:0] when CR4.PCIDE = 1, else 0): the TLB tag of new translations. */
  get pcid(): number {
    return this.cfg.asid;
  }

  /** PA of the root paging structure (PML4 or PML5): CR3 bits M-1:12. */
  get rootPaddr(): PhysAddr {
    return (this.cfg.rootFrame * 4096) as PhysAddr;
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
   * Throws only in legacy (32-bit / PAE, non-IA-32e) paging, which is not modelled.
   */
  translate(va: AddrLike, access: Access): TranslateResult<X64Fault> {
    checkAccess(access);
    const [hi, lo] = vaHalves(va, 'x86_64 MMU');
    const pa = this.translatePaHalves(hi, lo, access);
    if (pa < 0) return { fault: this.lastFault as X64Fault };
    return { paddr: pa as PhysAddr, size: levelPageSize(this.lastLevel), flags: this.lastFlags };
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
    if (cfg.mode !== MODE_LONG) return this.translateFlat(lo);
    const top = (hi | 0) >> cfg.canonShift;
    if (top !== 0 && top !== -1) return this.fault(13, 0, hi, lo, -1, 'non-canonical');
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
    // The miss is a call returning 0 / -1 with the PA in a field, so this method stays small enough to be
    // inlined into the caller's loop (else every PA above 2^31 it returns is a heap number).
    return this.miss(hi, lo, access, slot) < 0 ? -1 : this.missPa;
  }

  /** The PA found by the last successful {@link miss}. */
  private missPa = 0;

  /** A TLB miss (or a write to a clean cached page): the walk, then the TLB fill or the #PF. 0 with the PA in `missPa`, or -1. */
  private miss(hi: number, lo: number, access: Access, slot: number): number {
    this.stats.misses++;
    const cfg = this.cfg;
    const tlb = this.tlb;
    const w = this.w;
    if (walkX64(cfg, this.rights, this.accEc[access], hi, lo, access, w, undefined) >= 0) {
      tlb.insert(hi, lo, cfg.asid, w.global, w.frame, w.level, w.perm);
      this.lastPerm = w.perm;
      this.lastLevel = w.level;
      this.missPa = w.frame * 4096 + (lo & 0xfff);
      return 0;
    }
    // A #PF invalidates the faulting page's translations for the current PCID (SDM §4.10.4.1).
    if (slot >= 0) tlb.drop(slot);
    return this.fault(14, w.ec, hi, lo, w.level, w.stop);
  }

  /** Records a fault in the `fault*` fields and counts it; returns -1. */
  private fault(vector: number, ec: number, hi: number, lo: number, level: number, why: X64FaultReason): number {
    this.stats.faults++;
    this.faultVector = vector;
    this.faultErrorCode = ec;
    this.faultVaHi = hi;
    this.faultVaLo = lo;
    this.faultLevel = level;
    this.faultReason = why;
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
    return levelPageSize(this.lastLevel);
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
    return sharedReport(this.debugReport(va, access));
  }

  private debugReport(va: AddrLike, access: Access): X64DebugTranslation {
    checkAccess(access);
    const [hi, lo] = vaHalves(va, 'x86_64 MMU');
    const v = halvesValue(hi, lo) as VirtAddr;
    const steps: WalkStep[] = [];
    const cfg = this.cfg;
    if (cfg.mode === MODE_DISABLED) {
      const flags = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE | MappingFlags.USER;
      return {
        va: v,
        access,
        steps,
        updates: [],
        result: { paddr: lo as PhysAddr, size: 0x1000, flags },
        permissions: flags,
        leafSize: 0x1000,
      };
    }
    if (cfg.mode === MODE_LEGACY) throw legacyError();
    if (!isCanonicalHi(cfg, hi)) {
      const bits = cfg.top === 4 ? '63:56' : '63:47';
      return {
        va: v,
        access,
        steps,
        updates: [],
        result: { fault: { vector: 13, errorCode: 0 } },
        stopLevel: -1,
        stopReason: 'non-canonical',
        stop: `non-canonical address: bits ${bits} are not all equal (#GP(0))`,
      };
    }
    const w = new X64WalkState(this.mem, this.cas);
    w.reset(true);
    const ok = walkX64(cfg, this.rights, this.accEc[access], hi, lo, access, w, steps) >= 0;
    const leaf = w.row < 0 ? {} : { permissions: permFlags(this.rights, w.row), leafSize: levelPageSize(w.leafLevel) };
    const updates = w.ad ?? [];
    const ad = updates.length === 0 ? {} : { adUpdates: updates };
    if (ok) {
      const result = {
        paddr: (w.frame * 4096 + (lo & 0xfff)) as PhysAddr,
        size: levelPageSize(w.level),
        flags: permFlags(this.rights, w.row),
      };
      return { va: v, access, steps, result, ...leaf, updates, ...ad };
    }
    const fault: X64Fault = { vector: 14, errorCode: w.ec, cr2: fromHalves(hi, lo) as VirtAddr };
    const stop = describeX64Stop(w, cfg, steps, access, rightsStateFor(cfg.rights, this.cplValue, this.ac));
    return {
      va: v,
      access,
      steps,
      result: { fault },
      stopLevel: w.level,
      stopReason: w.stop,
      stop,
      ...leaf,
      updates,
      ...ad,
    };
  }

  // -------------------------------------------------------------- internals

  /** Paging disabled: linear = physical, truncated to 32 bits (IA-32e mode needs paging). */
  private translateFlat(lo: number): number {
    if (this.cfg.mode === MODE_LEGACY) throw legacyError();
    this.lastPerm = PERM_IDENTITY;
    this.lastLevel = 0;
    return lo;
  }

  /** Decodes the registers again (a register was written). */
  private decode(): void {
    this.cfg = decodeX64Config(this.regs);
    this.rights = this.selectRights();
  }

  /** The permission table of the current CPL and RFLAGS.AC, with the access kinds' error-code bits. */
  private selectRights(): Uint8Array {
    const r = this.cfg.rights;
    const s = rightsStateFor(r, this.cplValue, this.ac);
    for (let a = 0; a < 3; a++) this.accEc[a] = accessErrorBits(a, s);
    return rightsTableFor(r, this.cplValue, this.ac);
  }
}
