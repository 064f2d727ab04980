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
  type DebugTranslation,
  type EmulatorMmu,
  EntryCas,
  entryIndex,
  levelPageSize,
  MappingFlags,
  type MmuFaultReport,
  type MmuInfo,
  type MmuStats,
  type PageSize,
  type PhysMemory,
  type SoftTlb,
  type TranslateResult,
  type WalkStep,
  accessError,
  sharedReport,
  checkAccess,
  createSoftTlb,
  halvesValue,
  newMmuStats,
  resetMmuStats,
  vaHalves,
  vaHi,
  vaLo,
} from '@page-table/core';
import { type AddrLike, type PhysAddr, type VirtAddr, fromHalves, hi32, lo32, toAddrValue } from '@page-table/memory-addr';
import { X64PfError, type X64Fault, type X64FaultReason } from './fault.js';
import { X64_MMU_INFO, describeX64Fault } from './mmu-report.js';
import { X64_RESET, X64Cr0, X64Cr4, X64Efer, X64Rflags } from './registers.js';

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

/** One Accessed/Dirty write a debug walk found `translate` would make (and did not make). */
export interface X64AdUpdate {
  /** The entry's level (3 PML4E ... 0 PTE; 4 PML5E), as in {@link WalkStep.level}. */
  readonly level: number;
  /** PA of the entry. */
  readonly entryPaddr: PhysAddr;
  /** The entry as read. */
  readonly before: bigint;
  /** The entry `translate` would write: A set, and on the leaf of an allowed write also D. */
  readonly after: bigint;
}

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

// Entry bits (low half).
const P = 0x1;
const RW = 0x2;
const US = 0x4;
const PCD = 0x10;
const A = 0x20;
const D = 0x40;
const PS = 0x80;
const G = 0x100;
const XD_HI = 0x8000_0000;
const ADDR_HI = 0xfffff;
const TWO20 = 0x10_0000;

/**
 * Reserved low-half bits by level (SDM §4.5 tables 4-15..4-20): PS in a PML5E
 * or PML4E; bits 20:13 of a 2 MiB leaf; bits 29:13 of a 1 GiB leaf.
 */
const RSVD_TABLE_LO = [0, 0, 0, PS, PS];
const RSVD_LEAF_LO = [0, 0x1f_e000, 0x3fff_e000, 0, 0];
const LEVEL_NAMES = ['PTE', 'PDE', 'PDPTE', 'PML4E', 'PML5E'];

// The software TLB's permission word (also the index of the permission tables):
// bits 0..6 select the table row, bit 7 and 8 ride along.
const PERM_W = 0x1; // AND of R/W over the walk
const PERM_U = 0x2; // AND of U/S
const PERM_XD = 0x4; // OR of XD (only meaningful with EFER.NXE)
const PERM_KEY_SHIFT = 3; // leaf protection key, PTE[62:59]
const PERM_ROW = 0x7f;
const PERM_D = 0x80; // the leaf's D is set: writes need no walk
const PERM_UC = 0x100; // the leaf's PCD: memory type UC
const PERM_IDENTITY = 0x200; // paging disabled (never in the TLB)

const READ = Access.Read;
const WRITE = Access.Write;
const EXEC = Access.Execute;

const MODE_DISABLED = 0;
const MODE_LONG = 1;
const MODE_LEGACY = 2;

// Why a permission check failed (debug text; the error code follows from it).
const DENY_USER = 1;
const DENY_XD = 2;
const DENY_SMEP = 3;
const DENY_PK_AD = 4;
const DENY_PK_WD = 5;
const DENY_SMAP = 6;
const DENY_RO = 7;
const DENY_TEXT = [
  '',
  'user-mode access to a supervisor-mode page (U/S = 0 at some level)',
  'instruction fetch from an execute-disable page (XD = 1 at some level)',
  'supervisor fetch from a user-mode page with CR4.SMEP = 1',
  'protection key: access disabled (AD)',
  'protection key: write disabled (WD)',
  'supervisor data access to a user-mode page with CR4.SMAP = 1 and RFLAGS.AC = 0',
  'write to a read-only page (R/W = 0 at some level)',
];

/** The inputs of the access-rights rules (SDM §4.6) for one privilege. */
interface RightsState {
  user: boolean;
  wp: boolean;
  smep: boolean;
  smapBlocks: boolean;
  pkrUser: number;
  pkrSup: number;
  fetchId: boolean;
}

/**
 * SDM §4.6 for one permission row and access kind: 0 when allowed, else why
 * not. The order follows QEMU 7.2 `mmu_translate` (user/supervisor first, then
 * protection keys, then the ordinary rights), so a write that both the key and
 * R/W forbid reports PK (the SDM sets PK whenever the key forbids the access).
 */
function deny(row: number, access: number, s: RightsState): number {
  const u = (row & PERM_U) !== 0;
  if (s.user && !u) return DENY_USER;
  if (access === EXEC) {
    if (row & PERM_XD) return DENY_XD;
    if (!s.user && s.smep && u) return DENY_SMEP;
    return 0;
  }
  const pkr = u ? s.pkrUser : s.pkrSup;
  if (pkr !== 0) {
    const bits = (pkr >>> (((row >>> PERM_KEY_SHIFT) & 15) * 2)) & 3;
    if (bits & 1) return DENY_PK_AD;
    if (bits & 2 && access === WRITE && (s.user || s.wp)) return DENY_PK_WD;
  }
  if (!s.user && u && s.smapBlocks) return DENY_SMAP;
  if (access === WRITE && (row & PERM_W) === 0 && (s.user || s.wp)) return DENY_RO;
  return 0;
}

/** The #PF error-code bits that describe the access itself (W, U, I/D). */
function accessBits(access: number, s: RightsState): number {
  return (
    (access === WRITE ? X64PfError.W : 0) |
    (s.user ? X64PfError.U : 0) |
    (access === EXEC && s.fetchId ? X64PfError.ID : 0)
  );
}

/** Error code for every (row, access): 0 = allowed. */
function buildRights(s: RightsState): Uint8Array {
  const tab = new Uint8Array((PERM_ROW + 1) * 3);
  for (let row = 0; row <= PERM_ROW; row++) {
    for (let access = 0; access < 3; access++) {
      const why = deny(row, access, s);
      if (why === 0) continue;
      const pk = why === DENY_PK_AD || why === DENY_PK_WD ? X64PfError.PK : 0;
      tab[row * 3 + access] = X64PfError.P | accessBits(access, s) | pk;
    }
  }
  return tab;
}


function hex(x: number | bigint): string {
  return `0x${x.toString(16)}`;
}

/**
 * A register value as its canonical unsigned form. A negative int32, as JS
 * bit operations produce (`0x8000_0011 | 0x1_0000` is negative), is read as
 * its unsigned 32-bit value.
 */
function regValue(x: AddrLike, name: string): number | bigint {
  if (typeof x === 'number' && x < 0 && x >= -0x8000_0000 && Number.isInteger(x)) return x >>> 0;
  return toAddrValue(x, name);
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
 *   by a 32-bit compare-and-swap on the entry's low word (the walk restarts if
 *   the entry changed under it, as QEMU does);
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
  private readonly lastF = { level: 0, perm: 0 };

  // Registers as given (canonical number | bigint) and the bits the MMU uses.
  private rCr0: number | bigint = X64_RESET.cr0;
  private rCr3: number | bigint = X64_RESET.cr3;
  private rCr4: number | bigint = X64_RESET.cr4;
  private rEfer: number | bigint = X64_RESET.efer;
  private rRflags: number | bigint = X64_RESET.rflags;
  private rPkru: number | bigint = X64_RESET.pkru;
  private rPkrs: number | bigint = X64_RESET.pkrs;
  private bCr0 = 0;
  private bCr4 = 0;
  private bEfer = 0;
  private bCpl = 0;
  private bAc = false;
  private bPkru = 0;
  private bPkrs = 0;
  private m = 52;

  // Derived state.
  private mode = MODE_DISABLED;
  private top = 3;
  private canonShift = 15;
  private rootFrame = 0;
  private asid = 0;
  private rsvdHi = 0;
  private rightsUser: Uint8Array = new Uint8Array(0);
  private rightsSup: Uint8Array = new Uint8Array(0);
  private rightsSupAc: Uint8Array = new Uint8Array(0);
  private rights: Uint8Array = new Uint8Array(0);
  private stateUser!: RightsState;
  private stateSup!: RightsState;
  private stateSupAc!: RightsState;
  private accEc = new Uint8Array(3);

  // Where the last walk stopped (private scratch, so a debug walk changes nothing visible).
  private wEc = 0;
  private wLevel = 0;
  private wStop: X64FaultReason = 'not-present';
  private wRow = -1;
  private wFrame = 0;
  private wLeafLevel = -1;
  // A/D writes noted by a debug walk.
  private wAd: X64AdUpdate[] = [];

  /** An MMU reading the paging structures from `mem`, in the CPU state of `options`. */
  constructor(mem: PhysMemory, options: X64MmuOptions = {}) {
    this.mem = mem;
    this.tlb = createSoftTlb(options.tlbEntries, 'x86_64 MMU');
    const m = options.maxPhyAddr ?? 52;
    if (!Number.isInteger(m) || m < 32 || m > 52) throw new RangeError(`maxPhyAddr ${m} is outside 32..52`);
    this.m = m;
    if (options.cr0 !== undefined) this.rCr0 = regValue(options.cr0, 'cr0');
    if (options.cr3 !== undefined) this.rCr3 = regValue(options.cr3, 'cr3');
    if (options.cr4 !== undefined) this.rCr4 = regValue(options.cr4, 'cr4');
    if (options.efer !== undefined) this.rEfer = regValue(options.efer, 'efer');
    if (options.rflags !== undefined) this.rRflags = regValue(options.rflags, 'rflags');
    if (options.pkru !== undefined) this.rPkru = regValue(options.pkru, 'pkru');
    if (options.pkrs !== undefined) this.rPkrs = regValue(options.pkrs, 'pkrs');
    this.bCr0 = lo32(this.rCr0);
    this.bCr4 = lo32(this.rCr4);
    this.bEfer = lo32(this.rEfer);
    this.bAc = (lo32(this.rRflags) & X64Rflags.AC) !== 0;
    this.bPkru = lo32(this.rPkru);
    this.bPkrs = lo32(this.rPkrs);
    this.bCpl = checkCpl(options.cpl ?? X64_RESET.cpl);
    if (hi32(this.rCr3) & 0x8000_0000) this.rCr3 = fromHalves(hi32(this.rCr3) & 0x7fff_ffff, lo32(this.rCr3));
    this.derive();
  }

  // ------------------------------------------------------------- registers
  // Each setter is the guest's write of that register, with its TLB effects.

  /** CR0 as last written; the MMU reads PG (bit 31, paging on) and WP (bit 16, supervisor writes honour R/W). */
  get cr0(): number | bigint {
    return this.rCr0;
  }
  /** MOV to CR0: a change of PG flushes every translation (SDM §4.10.4.1); WP is re-applied per access, so it flushes nothing. */
  set cr0(value: AddrLike) {
    this.rCr0 = regValue(value, 'cr0');
    const v = lo32(this.rCr0);
    const changed = v ^ this.bCr0;
    this.bCr0 = v;
    if (changed & X64Cr0.PG) this.tlb.flushAll();
    this.derive();
  }

  /** CR3 as last written, without the no-flush bit 63: the root table's PA in bits M-1:12, the PCID in bits 11:0 when CR4.PCIDE = 1. */
  get cr3(): number | bigint {
    return this.rCr3;
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
    const pcide = (this.bCr4 & X64Cr4.PCIDE) !== 0;
    const noFlush = pcide && (hi & 0x8000_0000) !== 0;
    this.rCr3 = fromHalves(hi & 0x7fff_ffff, lo32(v));
    this.derive();
    if (!pcide) this.tlb.flushNonGlobal();
    else if (!noFlush) this.tlb.flushNonGlobal(this.asid);
  }

  /** CR4 as last written; the MMU reads PAE, PGE, LA57, PCIDE, SMEP, SMAP, PKE and PKS ({@link X64Cr4}). */
  get cr4(): number | bigint {
    return this.rCr4;
  }
  /**
   * MOV to CR4: a change of PGE or PCIDE flushes every translation, global
   * ones too (SDM §4.10.4.1), as does a paging-mode change (PAE, LA57);
   * SMEP, SMAP, PKE and PKS are re-applied per access, so they flush nothing.
   */
  set cr4(value: AddrLike) {
    this.rCr4 = regValue(value, 'cr4');
    const v = lo32(this.rCr4);
    const changed = v ^ this.bCr4;
    this.bCr4 = v;
    if (changed & (X64Cr4.PGE | X64Cr4.PCIDE | X64Cr4.PAE | X64Cr4.LA57)) this.tlb.flushAll();
    this.derive();
  }

  /** IA32_EFER (MSR 0xC000_0080) as last written; the MMU reads LME (bit 8), LMA (bit 10) and NXE (bit 11). */
  get efer(): number | bigint {
    return this.rEfer;
  }
  /**
   * WRMSR 0xC000_0080: a change of NXE (whether bit 63 of an entry is XD or
   * reserved) or of LME / LMA (the paging mode) flushes every translation.
   */
  set efer(value: AddrLike) {
    this.rEfer = regValue(value, 'efer');
    const v = lo32(this.rEfer);
    const changed = v ^ this.bEfer;
    this.bEfer = v;
    if (changed & (X64Efer.NXE | X64Efer.LME | X64Efer.LMA)) this.tlb.flushAll();
    this.derive();
  }

  /** Current privilege level 0..3; at CPL 3 every access is a user-mode access (SDM §4.6). */
  get cpl(): number {
    return this.bCpl;
  }
  /** A privilege change (e.g. SYSCALL, IRET): throws `RangeError` outside 0..3; rights are checked on every access, TLB hits included, so nothing is flushed. */
  set cpl(value: number) {
    this.bCpl = checkCpl(value);
    this.selectRights();
  }

  /** RFLAGS as last written; the MMU reads only AC (bit 18), which lifts SMAP for explicit supervisor accesses. */
  get rflags(): number | bigint {
    return this.rRflags;
  }
  /** A write of RFLAGS (STAC, CLAC, POPF): AC is re-applied on every access, so nothing is flushed. */
  set rflags(value: AddrLike) {
    this.rRflags = regValue(value, 'rflags');
    this.bAc = (lo32(this.rRflags) & X64Rflags.AC) !== 0;
    this.selectRights();
  }

  /** PKRU: the access-disable (AD, bit 2k) and write-disable (WD, bit 2k+1) pair of each protection key k of user-mode pages, with CR4.PKE. */
  get pkru(): number | bigint {
    return this.rPkru;
  }
  /** WRPKRU: the new key rights apply from the next access, TLB hits included, so nothing is flushed. */
  set pkru(value: AddrLike) {
    this.rPkru = regValue(value, 'pkru');
    this.bPkru = lo32(this.rPkru);
    this.buildRights();
  }

  /** IA32_PKRS (MSR 0x6E1): the AD / WD pair of each protection key of supervisor-mode pages, as {@link pkru}, with CR4.PKS. */
  get pkrs(): number | bigint {
    return this.rPkrs;
  }
  /** WRMSR 0x6E1: the new key rights apply from the next access, TLB hits included, so nothing is flushed. */
  set pkrs(value: AddrLike) {
    this.rPkrs = regValue(value, 'pkrs');
    this.bPkrs = lo32(this.rPkrs);
    this.buildRights();
  }

  /** MAXPHYADDR, the physical-address width M in bits (32..52): paging-entry bits 51:M are reserved. */
  get maxPhyAddr(): number {
    return this.m;
  }
  /** Models a CPU with another physical-address width: throws `RangeError` outside 32..52, else flushes every translation (their reserved-bit checks no longer hold). */
  set maxPhyAddr(value: number) {
    if (!Number.isInteger(value) || value < 32 || value > 52) throw new RangeError(`maxPhyAddr ${value} is outside 32..52`);
    this.m = value;
    this.tlb.flushAll();
    this.derive();
  }

  /** The paging mode CR0.PG, CR4.PAE, CR4.LA57 and EFER.LME/LMA select. */
  get pagingMode(): X64PagingMode {
    if (this.mode === MODE_DISABLED) return 'disabled';
    if (this.mode === MODE_LEGACY) return 'legacy';
    return this.top === 4 ? '5-level' : '4-level';
  }

  /** The current PCID (CR3[11:0] when CR4.PCIDE = 1, else 0): the TLB tag of new translations. */
  get pcid(): number {
    return this.asid;
  }

  /** PA of the root paging structure (PML4 or PML5): CR3 bits M-1:12. */
  get rootPaddr(): PhysAddr {
    return (this.rootFrame * 4096) as PhysAddr;
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
    if (!this.isCanonical(hi)) return;
    this.tlb.flushVa(hi, lo, this.asid, true);
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
    const gp: X64Fault = { vector: 13, errorCode: 0 };
    if (!Number.isInteger(pcid) || pcid < 0 || pcid > 0xfff) return gp;
    switch (type) {
      case 0: {
        const [hi, lo] = vaHalves(va, 'x86_64 MMU');
        if (!this.isCanonical(hi)) return gp;
        this.tlb.flushVa(hi, lo, pcid, false);
        return undefined;
      }
      case 1:
        if (pcid !== 0 && (this.bCr4 & X64Cr4.PCIDE) === 0) return gp;
        this.tlb.flushAsid(pcid, false);
        return undefined;
      case 2:
        this.tlb.flushAll();
        return undefined;
      case 3:
        this.tlb.flushNonGlobal();
        return undefined;
      default:
        return gp;
    }
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
    return { paddr: pa as PhysAddr, size: levelPageSize(this.lastF.level), flags: this.lastFlags };
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
    if (access !== READ && access !== WRITE && access !== EXEC) throw accessError(access);
    hi >>>= 0;
    lo >>>= 0;
    if (this.mode !== MODE_LONG) return this.translateFlat(lo);
    const top = (hi | 0) >> this.canonShift;
    if (top !== 0 && top !== -1) {
      this.stats.faults++;
      this.faultVector = 13;
      this.faultErrorCode = 0;
      this.faultVaHi = hi;
      this.faultVaLo = lo;
      this.faultLevel = -1;
      this.faultReason = 'non-canonical';
      return -1;
    }
    const tlb = this.tlb;
    const slot = tlb.lookup(hi, lo, this.asid);
    if (slot >= 0) {
      const perm = tlb.perm(slot);
      // A write through an entry cached with D = 0 walks again to set D (SDM §4.8).
      if (this.rights[(perm & PERM_ROW) * 3 + access] === 0 && (access !== WRITE || (perm & PERM_D) !== 0)) {
        this.stats.hits++;
        this.lastF.perm = perm;
        this.lastF.level = tlb.levelOf(slot);
        return tlb.frameOf(slot) * 4096 + (lo & 0xfff);
      }
    }
    this.stats.misses++;
    if (this.walkFrame(hi, lo, access, undefined) >= 0) return this.wFrame * 4096 + (lo & 0xfff);
    // A #PF invalidates the faulting page's translations for the current PCID (SDM §4.10.4.1).
    if (slot >= 0) tlb.drop(slot);
    this.stats.faults++;
    this.faultVector = 14;
    this.faultErrorCode = this.wEc;
    this.faultVaHi = hi;
    this.faultVaLo = lo;
    this.faultLevel = this.wLevel;
    this.faultReason = this.wStop;
    return -1;
  }

  /** The last fault as a record (allocates), or `undefined` before the first fault. */
  get lastFault(): X64Fault | undefined {
    if (this.faultVector === 13) return { vector: 13, errorCode: 0 };
    if (this.faultVector === 14) {
      return { vector: 14, errorCode: this.faultErrorCode, cr2: fromHalves(this.faultVaHi, this.faultVaLo) as VirtAddr };
    }
    return undefined;
  }

  /** Effective rights of the last successful translation (see {@link translate}). */
  get lastFlags(): MappingFlags {
    return this.flagsOf(this.lastF.perm);
  }

  /** Page size of the leaf that mapped the last successful translation. */
  get lastSize(): PageSize {
    return levelPageSize(this.lastF.level);
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
    if (this.mode === MODE_DISABLED) {
      const flags = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE | MappingFlags.USER;
      return { va: v, access, steps, updates: [], result: { paddr: lo as PhysAddr, size: 0x1000, flags }, permissions: flags, leafSize: 0x1000 };
    }
    if (this.mode === MODE_LEGACY) throw this.legacy();
    if (!this.isCanonical(hi)) {
      const bits = this.top === 4 ? '63:56' : '63:47';
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
    this.wRow = -1;
    this.wLeafLevel = -1;
    this.wAd = [];
    const pa = this.walk(hi, lo, access, steps);
    const row = this.wRow;
    const leaf = row < 0 ? {} : { permissions: this.flagsOf(row), leafSize: levelPageSize(this.wLeafLevel) };
    const updates = this.wAd;
    const ad = updates.length === 0 ? {} : { adUpdates: updates };
    this.wAd = [];
    if (pa >= 0) {
      const result = { paddr: pa as PhysAddr, size: levelPageSize(this.wLevel), flags: this.flagsOf(row) };
      return { va: v, access, steps, result, ...leaf, updates, ...ad };
    }
    const fault: X64Fault = { vector: 14, errorCode: this.wEc, cr2: fromHalves(hi, lo) as VirtAddr };
    const stop = this.describeStop(steps, access);
    return { va: v, access, steps, result: { fault }, stopLevel: this.wLevel, stopReason: this.wStop, stop, ...leaf, updates, ...ad };
  }

  // -------------------------------------------------------------- internals

  /** Paging disabled: linear = physical, truncated to 32 bits (IA-32e mode needs paging). */
  private translateFlat(lo: number): number {
    if (this.mode === MODE_LEGACY) throw this.legacy();
    this.lastF.perm = PERM_IDENTITY;
    this.lastF.level = 0;
    return lo;
  }

  /**
   * One walk from CR3 (SDM §4.5): returns the PA, or -1 with the fault in the
   * `w*` scratch fields. `steps` given = debug: record entries, write nothing,
   * touch no TLB.
   */
  private walk(hi: number, lo: number, access: number, steps: WalkStep[] | undefined): number {
    return this.walkFrame(hi, lo, access, steps) < 0 ? -1 : this.wFrame * 4096 + (lo & 0xfff);
  }

  /** {@link walk} returning 0 with the 4 KiB frame in `wFrame`: a PA above 2^31 returned from a call is a heap number, allocated per miss. */
  private walkFrame(hi: number, lo: number, access: number, steps: WalkStep[] | undefined): number {
    const mem = this.mem;
    const rsvdHi = this.rsvdHi;
    const write = access === WRITE;
    walk: for (;;) {
      let frame = this.rootFrame;
      let and = RW | US;
      let xd = 0;
      for (let level = this.top; ; level--) {
        const index = entryIndex(hi, lo, level);
        const base = mem.frameWord(frame);
        if (base < 0) return this.stop(level, 'unbacked-table', this.accEc[access]);
        const words = mem.words;
        const w = base + index * 2;
        const elo = words[w];
        const ehi = words[w + 1];
        if (steps !== undefined) {
          steps.push({
            level,
            index,
            entryPaddr: (frame * 4096 + index * 8) as PhysAddr,
            entry: (BigInt(ehi) << 32n) | BigInt(elo),
          });
        }
        if ((elo & P) === 0) return this.stop(level, 'not-present', this.accEc[access]);
        const leaf = level === 0 || (level <= 2 && (elo & PS) !== 0);
        if ((ehi & rsvdHi) !== 0 || (elo & (leaf ? RSVD_LEAF_LO[level] : RSVD_TABLE_LO[level])) !== 0) {
          return this.stop(level, 'reserved-bit', this.accEc[access] | X64PfError.P | X64PfError.RSVD);
        }
        and &= elo;
        xd |= ehi;
        if (!leaf) {
          // A is set in every paging-structure entry used (SDM §4.8), here as the walk passes it.
          if ((elo & A) === 0) {
            if (steps === undefined) {
              if (!this.cas.swapLo(words, w, elo, ehi, (elo | A) >>> 0)) continue walk;
            } else this.noteAd(level, frame * 4096 + index * 8, ehi, elo, (elo | A) >>> 0);
          }
          frame = (elo >>> 12) + (ehi & ADDR_HI) * TWO20;
          continue;
        }
        const row =
          (and & RW ? PERM_W : 0) | (and & US ? PERM_U : 0) | (xd & XD_HI ? PERM_XD : 0) | (((ehi >>> 27) & 15) << PERM_KEY_SHIFT);
        this.wRow = row | (elo & PCD ? PERM_UC : 0);
        this.wLeafLevel = level;
        const ec = this.rights[row * 3 + access];
        if (ec !== 0) return this.stop(level, ec & X64PfError.PK ? 'protection-key' : 'protection', ec);
        // The leaf gets A (and D on a write) only once the access is allowed.
        const want = (elo | A | (write ? D : 0)) >>> 0;
        if (want !== elo) {
          if (steps === undefined) {
            if (!this.cas.swapLo(words, w, elo, ehi, want)) continue walk;
          } else this.noteAd(level, frame * 4096 + index * 8, ehi, elo, want);
        }
        const efr = (elo >>> 12) + (ehi & ADDR_HI) * TWO20;
        let f4k: number;
        if (level === 0) f4k = efr;
        // Division, not `efr % 512`: `%` on a double is a runtime call.
        else if (level === 1) f4k = Math.floor(efr / 512) * 512 + ((lo >>> 12) & 511);
        else f4k = Math.floor(efr / 262144) * 262144 + ((lo >>> 12) & 0x3ffff);
        const perm = row | (write || (elo & D) !== 0 ? PERM_D : 0) | (elo & PCD ? PERM_UC : 0);
        this.wLevel = level;
        if (steps === undefined) {
          const global = (elo & G) !== 0 && (this.bCr4 & X64Cr4.PGE) !== 0;
          this.tlb.insert(hi, lo, this.asid, global, f4k, level, perm);
          this.lastF.perm = perm;
          this.lastF.level = level;
        }
        this.wFrame = f4k;
        return 0;
      }
    }
  }

  /** Debug walk: records an A/D write `translate` would make. */
  private noteAd(level: number, entryPaddr: number, ehi: number, before: number, after: number): void {
    const hi = BigInt(ehi >>> 0) << 32n;
    this.wAd.push({ level, entryPaddr: entryPaddr as PhysAddr, before: hi | BigInt(before >>> 0), after: hi | BigInt(after >>> 0) });
  }

  private stop(level: number, why: X64FaultReason, ec: number): number {
    this.wLevel = level;
    this.wStop = why;
    this.wEc = ec;
    return -1;
  }

  private describeStop(steps: readonly WalkStep[], access: number): string {
    const level = this.wLevel;
    const name = `level ${level} (${LEVEL_NAMES[level]})`;
    switch (this.wStop) {
      case 'unbacked-table':
        return `${name}: the paging structure is outside physical memory`;
      case 'not-present':
        return `not present at ${name}`;
      case 'reserved-bit': {
        const e = steps[steps.length - 1].entry;
        const leaf = level === 0 || (level <= 2 && (e & 0x80n) !== 0n);
        const mask = (BigInt(this.rsvdHi) << 32n) | BigInt(leaf ? RSVD_LEAF_LO[level] : RSVD_TABLE_LO[level]);
        return `reserved bit set at ${name}: ${hex(e & mask)}`;
      }
      default: {
        const s = this.bCpl === 3 ? this.stateUser : this.bAc ? this.stateSupAc : this.stateSup;
        const why = deny(this.wRow & PERM_ROW, access, s);
        return `${this.wStop} at ${name}: ${DENY_TEXT[why]}`;
      }
    }
  }

  private flagsOf(perm: number): MappingFlags {
    if (perm === PERM_IDENTITY) return MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE | MappingFlags.USER;
    const r = this.rights;
    const i = (perm & PERM_ROW) * 3;
    return (
      (r[i + READ] === 0 ? MappingFlags.READ : 0) |
      (r[i + WRITE] === 0 ? MappingFlags.WRITE : 0) |
      (r[i + EXEC] === 0 ? MappingFlags.EXECUTE : 0) |
      (perm & PERM_U ? MappingFlags.USER : 0) |
      (perm & PERM_UC ? MappingFlags.UNCACHED : 0)
    );
  }

  private isCanonical(hi: number): boolean {
    const t = (hi | 0) >> this.canonShift;
    return t === 0 || t === -1;
  }

  private legacy(): Error {
    return new Error('X64Mmu: 32-bit and PAE paging outside IA-32e mode (CR0.PG = 1, EFER.LME = 0) are not modelled');
  }

  /** Recomputes the mode, root, PCID, reserved mask and rights tables from the registers. */
  private derive(): void {
    const pg = (this.bCr0 & X64Cr0.PG) !== 0;
    const pae = (this.bCr4 & X64Cr4.PAE) !== 0;
    const ia32e = (this.bEfer & (X64Efer.LMA | X64Efer.LME)) !== 0;
    this.mode = !pg ? MODE_DISABLED : pae && ia32e ? MODE_LONG : MODE_LEGACY;
    const la57 = (this.bCr4 & X64Cr4.LA57) !== 0;
    this.top = la57 ? 4 : 3;
    this.canonShift = la57 ? 24 : 15;
    const m = this.m;
    const hiMask = m >= 52 ? ADDR_HI : (1 << (m - 32)) - 1;
    this.rootFrame = (lo32(this.rCr3) >>> 12) + (hi32(this.rCr3) & hiMask) * TWO20;
    this.asid = this.bCr4 & X64Cr4.PCIDE ? lo32(this.rCr3) & 0xfff : 0;
    const nxe = (this.bEfer & X64Efer.NXE) !== 0;
    this.rsvdHi = ((ADDR_HI & ~hiMask) | (nxe ? 0 : XD_HI)) >>> 0;
    this.buildRights();
  }

  private buildRights(): void {
    const cr4 = this.bCr4;
    const base = {
      wp: (this.bCr0 & X64Cr0.WP) !== 0,
      smep: (cr4 & X64Cr4.SMEP) !== 0,
      pkrUser: cr4 & X64Cr4.PKE ? this.bPkru : 0,
      pkrSup: cr4 & X64Cr4.PKS ? this.bPkrs : 0,
      fetchId: (this.bEfer & X64Efer.NXE) !== 0 || (cr4 & X64Cr4.SMEP) !== 0,
    };
    const smap = (cr4 & X64Cr4.SMAP) !== 0;
    this.stateUser = { ...base, user: true, smapBlocks: false };
    this.stateSup = { ...base, user: false, smapBlocks: smap };
    this.stateSupAc = { ...base, user: false, smapBlocks: false };
    this.rightsUser = buildRights(this.stateUser);
    this.rightsSup = buildRights(this.stateSup);
    this.rightsSupAc = buildRights(this.stateSupAc);
    this.selectRights();
  }

  private selectRights(): void {
    const user = this.bCpl === 3;
    this.rights = user ? this.rightsUser : this.bAc ? this.rightsSupAc : this.rightsSup;
    const s = user ? this.stateUser : this.stateSup;
    for (let a = 0; a < 3; a++) this.accEc[a] = accessBits(a, s);
  }
}

function checkCpl(cpl: number): number {
  if (!Number.isInteger(cpl) || cpl < 0 || cpl > 3) throw new RangeError(`cpl ${cpl} is not 0..3`);
  return cpl;
}
