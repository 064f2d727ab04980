/**
 * The RV64 emulator MMU: access-checked Sv39/Sv48/Sv57 translation with the
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
  createSoftTlb,
  type DebugTranslation,
  type EmulatorMmu,
  EntryCas,
  type EntryUpdate,
  entryIndex,
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
import { type AddrLike, fromHalves, type PhysAddr, type VirtAddr } from '@page-table/memory-addr';
import { accessFaultCause, pageFaultCause, type RiscvCause, type RiscvFault } from './fault.js';
import type { SvMode } from './metadata.js';
import { describeRiscvFault, RISCV_MMU_INFO } from './mmu-report.js';
import { PTE_A, PTE_D, PTE_G, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X } from './pte.js';
import { SatpMode } from './satp.js';

/** Privilege modes as the ISA encodes them (`mstatus.MPP`, `sstatus.SPP`): 0 U, 1 S, 3 M. */
export const RiscvPriv = {
  /** User mode. */
  User: 0,
  /** Supervisor mode. */
  Supervisor: 1,
  /** Machine mode: no translation (unless `mstatus.MPRV` applies to a load or store). */
  Machine: 3,
} as const;

/** One of the {@link RiscvPriv} values. */
export type RiscvPriv = (typeof RiscvPriv)[keyof typeof RiscvPriv];

/**
 * A PMP/PMA check: whether an access of kind `access` at privilege `priv`
 * may touch physical address `paddr`. The MMU asks it for every page-table
 * read (Read, S-mode), every A/D write (Write, S-mode) and the final PA of
 * every access (the access's kind, at the effective privilege); `false`
 * raises the access fault of the original access (1/5/7). It must be pure:
 * `debugTranslate` calls it too.
 */
export type RiscvPhysCheck = (paddr: number, access: Access, priv: RiscvPriv) => boolean;

/** The CPU state an {@link RiscvMmu} starts from: raw CSR values named as in the privileged spec. */
export interface RiscvMmuOptions {
  /** `satp`: MODE [63:60] (0 Bare, 8 Sv39, 9 Sv48, 10 Sv57), ASID [59:44], PPN [43:0]. Default 0 (Bare). */
  satp?: number | bigint;
  /** `mstatus`: MPP [12:11], MPRV [17], SUM [18], MXR [19]; other bits are kept but unused. Default 0. */
  mstatus?: number | bigint;
  /** Current privilege: 0 U, 1 S, 3 M. Default 3 (M, the reset privilege). */
  priv?: RiscvPriv;
  /**
   * Hardware A/D updating: Svadu implemented and `menvcfg.ADUE` = 1 (what
   * QEMU 7.2 always does). `false` (default): Svade, a page fault when
   * A = 0 or a store finds D = 0.
   */
  svadu?: boolean;
  /** Svpbmt implemented and `menvcfg.PBMTE` = 1: PTE bits 62:61 are a memory type. Default false (they are reserved). */
  svpbmt?: boolean;
  /** Svnapot implemented: N = 1 leaves map 64 KiB NAPOT ranges. Default false (bit 63 is reserved). */
  svnapot?: boolean;
  /** The widest mode `satp` accepts (a hart with Sv48 has Sv39, with Sv57 both). Default `Sv57`. */
  maxMode?: SvMode;
  /** ASIDLEN: implemented ASID bits, 0..16 (higher `satp.ASID` bits read as zero). Default 16. */
  asidBits?: number;
  /** PMP and PMA checks of physical accesses (see {@link RiscvPhysCheck}). Default: every PA below 2^53 is allowed. */
  pmp?: RiscvPhysCheck;
  /** Software-TLB entries, a power of two. Default 256. */
  tlbEntries?: number;
}

/** The A/D write a debug walk found `translate` would make (and did not make). */
export interface RiscvAdUpdate {
  /** PA of the leaf entry. */
  readonly entryPaddr: PhysAddr;
  /** The entry as read. */
  readonly before: bigint;
  /** The entry `translate` would write (A set, and D on a store). */
  readonly after: bigint;
}

/** {@link RiscvMmu.debugTranslate}'s report: the core shape plus the scheme used and the A/D write it skipped. */
export interface RiscvDebugTranslation extends DebugTranslation<RiscvFault> {
  /** Translation scheme applied: `Bare` when `satp.MODE` is Bare or the effective privilege is M. */
  readonly mode: SvMode | 'Bare';
  /** Effective privilege of the access (after MPRV). */
  readonly priv: RiscvPriv;
  /** The A/D update `translate` would write, if any. */
  readonly adUpdate?: RiscvAdUpdate;
  /**
   * Effective permissions of the leaf the walk reached, at the effective
   * privilege under SUM and MXR — also when the access asked about faulted
   * after reaching it (permission, misaligned superpage, Svade A/D, PMP).
   * Absent when no leaf was reached, and for untranslated (Bare / M-mode) accesses.
   */
  readonly permissions?: MappingFlags;
  /** Size of the leaf the walk reached, when it reached one (64 KiB for a Svnapot leaf). */
  readonly leafSize?: PageSize;
}

const TWO32 = 4294967296;
/** Frames at or above this have a PA at or above 2^53. */
const SAFE_FRAME_LIMIT = 2 ** 41;
/** 4 KiB pages per leaf at each level. */
const PAGES = [1, 512, 262144, 134217728, 68719476736];
/** Leaf sizes per level (512 GiB and 256 TiB are beyond core's PageSize names). */
const SIZES = [0x1000, 0x20_0000, 0x4000_0000, 2 ** 39, 2 ** 48];
const NAPOT_SIZE = 0x1_0000;
/** Entry bits 60:54 in the high word. */
const RESERVED_HI = 0x1fc0_0000;
/** PPN bits 22..43 in the high word. */
const PPN_HI_MASK = 0x3f_ffff;
const PPN_LO_SPAN = 0x40_0000;
/** TLB perm bits above the PTE's low byte: N, then PBMT. */
const PERM_NAPOT = 1 << 8;
const PERM_PBMT_SHIFT = 9;

const MSTATUS_MPP_SHIFT = 11;
const MSTATUS_MPRV = 1 << 17;
const MSTATUS_SUM = 1 << 18;
const MSTATUS_MXR = 1 << 19;
/** The `mstatus` bits `sstatus` shows (RV64): SIE, SPIE, UBE, SPP, VS, FS, XS, SUM, MXR (low word); UXL, SD (high word). */
const SSTATUS_LO = 0x000d_e762;
const SSTATUS_HI = 0x8000_0003;
/** `menvcfg.ADUE` (bit 61) and `PBMTE` (bit 62), as high-word bits. */
const MENVCFG_ADUE_HI = 1 << 29;
const MENVCFG_PBMTE_HI = 1 << 30;

const MODE_LEVELS: Readonly<Record<number, number>> = { 0: 0, 8: 3, 9: 4, 10: 5 };
const MODE_NAMES: Readonly<Record<number, SvMode | 'Bare'>> = { 0: 'Bare', 8: 'Sv39', 9: 'Sv48', 10: 'Sv57' };
const MAX_MODE: Readonly<Record<SvMode, number>> = { Sv39: SatpMode.Sv39, Sv48: SatpMode.Sv48, Sv57: SatpMode.Sv57 };

/** Splits a 64-bit register value (number or bigint) into unsigned halves; throws on anything else. */
function halves(x: number | bigint, what: string): [number, number] {
  if (typeof x === 'bigint') {
    if (x < 0n || x > 0xffff_ffff_ffff_ffffn) throw new RangeError(`${what}: 0x${x.toString(16)} is outside 0..2^64-1`);
    return [Number(x >> 32n), Number(x & 0xffff_ffffn)];
  }
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) {
    throw new RangeError(`${what}: ${String(x)} is not a safe non-negative integer; pass a bigint above 2^53-1`);
  }
  return [Math.floor(x / TWO32) >>> 0, x >>> 0];
}

/** Splits a VA: an unsigned 64-bit number or bigint, or a negative safe integer read as a sign-extended 64-bit value. */
function splitVa(x: AddrLike, what: string): [number, number] {
  if (typeof x === 'number' && Number.isSafeInteger(x) && x < 0) return [Math.floor(x / TWO32) >>> 0, x >>> 0];
  return halves(x, what);
}

function big(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function hex(x: number | bigint): string {
  return `0x${x.toString(16)}`;
}

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
export class RiscvMmu implements EmulatorMmu<RiscvFault> {
  /** TLB and fault counters (`hits` + `misses` = translated accesses that reached the TLB). */
  readonly stats: MmuStats = newMmuStats();
  /** Exception code of the last fault of {@link translatePa} / {@link translatePaHalves} / {@link translate} (0 before any). */
  faultCause = 0;
  /** High 32 bits of the last fault's `stval` (the VA). */
  faultTvalHi = 0;
  /** Low 32 bits of the last fault's `stval` (the VA). */
  faultTvalLo = 0;

  private readonly mem: PhysMemory;
  private readonly tlb: SoftTlb;
  private readonly pmp: RiscvPhysCheck | undefined;
  private readonly svnapot: boolean;
  private readonly maxMode: number;
  private readonly asidMask: number;
  private svadu: boolean;
  private svpbmt: boolean;
  // satp, decoded.
  private modeValue = 0;
  private levels = 0;
  private vaMask = 0;
  private rootFrame = 0;
  private asidValue = 0;
  private satpPpnHi = 0;
  private satpPpnLo = 0;
  // mstatus, raw and decoded.
  private mstatusHi = 0;
  private mstatusLo = 0;
  private sum = false;
  private mxr = false;
  // TLB-hit verdicts by (priv 0/1, access, perm bits R W X U D): 1 = serve. Remade when SUM/MXR change.
  private readonly hitOk = new Uint8Array(192);
  private mprv = false;
  private mpp: RiscvPriv = 0;
  private privValue: RiscvPriv = 3;
  // Whether the TLB may hold pages of 512 GiB / 256 TiB leaves (SoftTlb.flushVa compares whole high words).
  private bigCached = false;
  // Last success of the hot path: TLB-style perm bits and leaf level (-1: untranslated).
  private lastPerm = 0;
  private lastLevel = -1;
  private lastPriv: RiscvPriv = 1;
  // Scratch results of walk(): the fault (code, reason, level) or the leaf.
  private wCause = 0;
  private wWhy = '';
  private wLevel = 0;
  private wPerm = 0;
  private wFrame = 0;
  private wGlobal = false;
  private wEntryPa = 0;
  private wBefore = 0n;
  private wAfter = 0n;
  private wAd = false;
  private wLeaf = false;
  private readonly entryCas = new EntryCas();

  /** An MMU over `mem` in the state `options` gives; throws `RangeError` for a value no hart can hold. */
  constructor(mem: PhysMemory, options: RiscvMmuOptions = {}) {
    this.mem = mem;
    this.tlb = createSoftTlb(options.tlbEntries, 'RiscvMmu');
    this.pmp = options.pmp;
    this.svadu = options.svadu === true;
    this.svpbmt = options.svpbmt === true;
    this.svnapot = options.svnapot === true;
    const maxMode = options.maxMode ?? 'Sv57';
    if (!(maxMode in MAX_MODE)) throw new RangeError(`RiscvMmu: unknown maxMode ${String(maxMode)}`);
    this.maxMode = MAX_MODE[maxMode];
    const asidBits = options.asidBits ?? 16;
    if (!Number.isInteger(asidBits) || asidBits < 0 || asidBits > 16)
      throw new RangeError(`RiscvMmu: asidBits ${asidBits} is outside 0..16`);
    this.asidMask = (1 << asidBits) - 1;
    if (!this.writeSatp(options.satp ?? 0)) {
      throw new RangeError(`RiscvMmu: satp ${hex(options.satp ?? 0)} selects a MODE this hart does not implement`);
    }
    this.fillHitTable();
    this.mstatus = options.mstatus ?? 0;
    this.priv = options.priv ?? 3;
  }

  // ------------------------------------------------------------ registers
  // Each setter is the guest's CSR write, with its TLB effects.

  /** `satp` as it reads back: MODE [63:60], ASID [59:44] (legalized to ASIDLEN bits), PPN [43:0]. */
  get satp(): bigint {
    return (BigInt(this.modeValue) << 60n) | (BigInt(this.asidValue) << 44n) | big(this.satpPpnHi, this.satpPpnLo);
  }
  /**
   * CSRW satp. As the spec's WARL rule says, a value whose MODE this hart
   * does not implement (1..7, 11+, or above `maxMode`) is ignored entirely:
   * read {@link satp} back to see whether the write took. ASID bits above
   * ASIDLEN read as zero. Nothing is flushed: the TLB is ASID-tagged, and the
   * guest fences after reusing an ASID (spec: writing satp implies no
   * invalidation). Throws `RangeError` for a value that is not a 64-bit integer.
   */
  set satp(value: number | bigint) {
    this.writeSatp(value);
  }

  /** `satp.MODE`: 0 Bare, 8 Sv39, 9 Sv48, 10 Sv57 (compare with `SatpMode`). */
  get mode(): number {
    return this.modeValue;
  }

  /** `satp.ASID` (legalized to ASIDLEN bits): the tag of new TLB entries and of lookups. */
  get asid(): number {
    return this.asidValue;
  }

  /** `mstatus` as stored (MPP legalized); the MMU reads MPP [12:11], MPRV [17], SUM [18] and MXR [19]. */
  get mstatus(): bigint {
    return big(this.mstatusHi, this.mstatusLo);
  }
  /**
   * CSRW mstatus: MPP, MPRV, SUM and MXR take effect on the next access (TLB
   * hits re-check them, so nothing is flushed). MPP is WARL: the reserved
   * value 2 keeps the previous MPP. Other bits are stored but unused.
   */
  set mstatus(value: number | bigint) {
    const [hi, lo] = halves(value, 'mstatus');
    let mpp = (lo >>> MSTATUS_MPP_SHIFT) & 3;
    if (mpp === 2) mpp = this.mpp;
    this.mstatusHi = hi;
    this.mstatusLo = ((lo & ~(3 << MSTATUS_MPP_SHIFT)) | (mpp << MSTATUS_MPP_SHIFT)) >>> 0;
    this.mpp = mpp as RiscvPriv;
    this.mprv = (lo & MSTATUS_MPRV) !== 0;
    const sum = (lo & MSTATUS_SUM) !== 0;
    const mxr = (lo & MSTATUS_MXR) !== 0;
    if (sum !== this.sum || mxr !== this.mxr) {
      this.sum = sum;
      this.mxr = mxr;
      this.fillHitTable();
    }
  }

  /** `sstatus`, the S-mode view of `mstatus`: its SIE, SPIE, UBE, SPP, VS, FS, XS, SUM, MXR, UXL and SD bits. */
  get sstatus(): bigint {
    return big(this.mstatusHi & SSTATUS_HI, this.mstatusLo & SSTATUS_LO);
  }
  /**
   * CSRW sstatus: writes the `mstatus` bits `sstatus` shows and keeps the
   * others (MPP, MPRV...). Of these only SUM and MXR concern the MMU; as for
   * {@link mstatus}, they take effect on the next access and nothing is flushed.
   */
  set sstatus(value: number | bigint) {
    const [hi, lo] = halves(value, 'sstatus');
    this.mstatus = big(
      ((this.mstatusHi & ~SSTATUS_HI) | (hi & SSTATUS_HI)) >>> 0,
      ((this.mstatusLo & ~SSTATUS_LO) | (lo & SSTATUS_LO)) >>> 0,
    );
  }

  /** Current privilege: 0 U, 1 S, 3 M. */
  get priv(): RiscvPriv {
    return this.privValue;
  }
  /**
   * A privilege change (trap, `mret`, `sret`): throws `RangeError` for
   * anything but 0 (U), 1 (S) or 3 (M). The TLB is not privilege-tagged and
   * hits re-check the privilege, so nothing is flushed.
   */
  set priv(priv: RiscvPriv) {
    if (priv !== 0 && priv !== 1 && priv !== 3)
      throw new RangeError(`RiscvMmu: privilege ${String(priv)} is not 0 (U), 1 (S) or 3 (M)`);
    this.privValue = priv;
  }

  /**
   * `menvcfg` as the MMU holds it: ADUE (bit 61) and PBMTE (bit 62), from
   * the last write or the `svadu` / `svpbmt` options; every other bit reads
   * as zero (not modelled).
   */
  get menvcfg(): bigint {
    return (this.svadu ? 1n << 61n : 0n) | (this.svpbmt ? 1n << 62n : 0n);
  }
  /**
   * CSRW menvcfg on a hart that implements Svadu and Svpbmt: ADUE (bit 61)
   * selects hardware A/D updating, PBMTE (bit 62) enables PBMT. A change of
   * PBMTE flushes the whole TLB (cached entries were checked under the old
   * rule); a change of ADUE flushes nothing (hits re-walk when A/D must be
   * set). Do not write it for a hart without these extensions: their bits
   * are read-only zero there.
   */
  set menvcfg(value: number | bigint) {
    const [hi] = halves(value, 'menvcfg');
    this.svadu = (hi & MENVCFG_ADUE_HI) !== 0;
    const pbmte = (hi & MENVCFG_PBMTE_HI) !== 0;
    if (pbmte !== this.svpbmt) this.flushAll();
    this.svpbmt = pbmte;
  }

  /** Whether A/D bits are updated by hardware (Svadu with ADUE = 1) rather than faulting (Svade). */
  get hardwareAd(): boolean {
    return this.svadu;
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
    if (pa < 0) return { fault: { cause: this.faultCause as RiscvCause, tval: fromHalves(hi, lo) as VirtAddr } };
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
    hi >>>= 0;
    lo >>>= 0;
    let p = this.privValue;
    if (p === 3) {
      if (access === Access.Execute || !this.mprv || this.mpp === 3) return this.untranslated(hi, lo, access, 3);
      p = this.mpp;
    }
    if (this.levels === 0) return this.untranslated(hi, lo, access, p);
    const m = hi & this.vaMask;
    if (m !== 0 && m !== this.vaMask) return this.fail(pageFaultCause(access), hi, lo);
    const tlb = this.tlb;
    const slot = tlb.lookup(hi, lo, this.asidValue);
    let pa: number;
    if (slot >= 0) {
      const perm = tlb.perm(slot);
      // Permissions are re-checked against the current privilege, SUM and MXR; a store on a clean entry re-walks to set D.
      if (this.hitOk[(p * 3 + access) * 32 + (((perm >>> 1) & 15) | ((perm >>> 3) & 16))] !== 0) {
        this.stats.hits++;
        this.lastPerm = perm;
        this.lastLevel = tlb.levelOf(slot);
        pa = tlb.frameOf(slot) * 4096 + (lo & 0xfff);
        return this.finish(pa, hi, lo, access, p);
      }
    }
    this.stats.misses++;
    // walkFrame, not walk: a PA above 2^31 returned from a call is a heap number, allocated per miss.
    let r: number;
    do r = this.walkFrame(hi, lo, access, p, false, undefined);
    while (r === -2);
    if (r < 0) return this.fail(this.wCause, hi, lo);
    pa = this.wFrame * 4096 + (lo & 0xfff);
    tlb.insert(hi, lo, this.asidValue, this.wGlobal, this.wFrame, this.wLevel, this.wPerm);
    if (this.wLevel >= 3) this.bigCached = true;
    this.lastPerm = this.wPerm;
    this.lastLevel = this.wLevel;
    return this.finish(pa, hi, lo, access, p);
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
    if (this.lastLevel < 0) return MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE;
    return this.effectiveFlags(this.lastPerm, this.lastPriv);
  }

  /**
   * Size of the leaf of the last successful hot-path translation: 4 KiB,
   * 64 KiB (Svnapot), 2 MiB, 1 GiB, 512 GiB (Sv48/57) or 256 TiB (Sv57);
   * the last two and 64 KiB are outside core's `PageSize` names. 4 KiB when
   * untranslated.
   */
  get lastSize(): PageSize {
    const l = this.lastLevel;
    if (l < 0) return 0x1000;
    return ((this.lastPerm & PERM_NAPOT) !== 0 ? NAPOT_SIZE : SIZES[l]) as PageSize;
  }

  // ------------------------------------------------------------ debug walk

  /**
   * The walk `translate(va, access)` would do, with every entry read, the
   * outcome and where and why it stopped — always a fresh walk (the TLB is
   * neither consulted nor filled), no A/D write (reported as `adUpdate`), no
   * counter or fault field changed: guest RAM is byte-identical afterwards.
   * When the walk reached a leaf, `permissions` and `leafSize` describe it,
   * also when the access then faulted.
   */
  debugTranslate(va: AddrLike, access: Access = Access.Read): RiscvDebugTranslation {
    return sharedReport(this.debugReport(va, access));
  }

  private debugReport(va: AddrLike, access: Access): RiscvDebugTranslation {
    checkAccess(access);
    const [hi, lo] = vaHalves(va, 'RiscvMmu');
    const vaddr = fromHalves(hi, lo) as VirtAddr;
    let p = this.privValue;
    if (p === 3 && access !== Access.Execute && this.mprv) p = this.mpp;
    const steps: WalkStep[] = [];
    const fault = (
      cause: RiscvCause,
      stop: string,
      mode: SvMode | 'Bare',
      reason: string,
      level = -1,
    ): RiscvDebugTranslation => ({
      va: vaddr,
      access,
      steps,
      updates: [],
      result: { fault: { cause, tval: vaddr } },
      stopLevel: level,
      stopReason: reason,
      stop,
      mode,
      priv: p,
    });
    if (p === 3 || this.levels === 0) {
      if (hi >= 0x20_0000)
        return fault(accessFaultCause(access), 'PA at or above 2^53 (outside physical memory)', 'Bare', 'access-fault');
      const pa = hi * TWO32 + lo;
      if (this.pmp !== undefined && !this.pmp(pa, access, p))
        return fault(accessFaultCause(access), 'PMP/PMA denies the access', 'Bare', 'access-fault');
      const flags = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE;
      return {
        va: vaddr,
        access,
        steps,
        updates: [],
        result: { paddr: pa as PhysAddr, size: 0x1000, flags },
        mode: 'Bare',
        priv: p,
      };
    }
    const mode = MODE_NAMES[this.modeValue];
    const m = hi & this.vaMask;
    if (m !== 0 && m !== this.vaMask) {
      const top = 9 * this.levels + 11;
      return fault(
        pageFaultCause(access),
        `VA not canonical for ${mode} (bits 63..${top + 1} must equal bit ${top})`,
        mode,
        'non-canonical',
      );
    }
    const pa = this.walk(hi, lo, access, p, true, steps);
    // The leaf reached, if any: its effective permissions and size, reported on success and fault alike.
    const perm = this.wPerm;
    const leaf = this.wLeaf
      ? {
          permissions: this.effectiveFlags(perm, p),
          leafSize: ((perm & PERM_NAPOT) !== 0 ? NAPOT_SIZE : SIZES[this.wLevel]) as PageSize,
        }
      : {};
    if (pa < 0) {
      const why = `${this.wWhy} at level ${this.wLevel} (entry ${hex(this.wEntryPa)})`;
      return {
        ...fault(this.wCause as RiscvCause, why, mode, this.wLeaf ? 'permission' : 'invalid-entry', this.wLevel),
        ...leaf,
      };
    }
    const adUpdate: RiscvAdUpdate | undefined = this.wAd
      ? { entryPaddr: this.wEntryPa as PhysAddr, before: this.wBefore, after: this.wAfter }
      : undefined;
    const ad = adUpdate === undefined ? {} : { adUpdate };
    const updates: EntryUpdate[] = adUpdate === undefined ? [] : [{ level: this.wLevel, ...adUpdate }];
    if (this.pmp !== undefined && !this.pmp(pa, access, p)) {
      return {
        ...fault(accessFaultCause(access), 'PMP/PMA denies the access', mode, 'access-fault', this.wLevel),
        ...leaf,
        ...ad,
        updates,
      };
    }
    const size = ((perm & PERM_NAPOT) !== 0 ? NAPOT_SIZE : SIZES[this.wLevel]) as PageSize;
    const result = { paddr: pa as PhysAddr, size, flags: this.effectiveFlags(perm, p) };
    return { va: vaddr, access, steps, updates, result, mode, priv: p, ...leaf, ...ad };
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
    const a = asid === undefined ? undefined : Number(BigInt(asid) & 0xffffn) & this.asidMask;
    if (va === undefined) {
      if (a === undefined) this.flushAll();
      else this.tlb.flushNonGlobal(a);
      return;
    }
    const [hi, lo] = splitVa(va, 'sfence.vma rs1');
    if (this.levels !== 0) {
      const m = hi & this.vaMask;
      if (m !== 0 && m !== this.vaMask) return;
    }
    if (this.bigCached) {
      // SoftTlb.flushVa matches whole high words; a 512 GiB or 256 TiB leaf spans several.
      if (a === undefined) this.flushAll();
      else this.tlb.flushNonGlobal(a);
      return;
    }
    if (a === undefined) this.tlb.flushVa(hi, lo);
    else this.tlb.flushVa(hi, lo, a, false);
  }

  // ------------------------------------------------------------ internals

  /** The `satp` write: false (nothing changed) for a MODE this hart does not implement. */
  private writeSatp(value: number | bigint): boolean {
    const [hi, lo] = halves(value, 'satp');
    const mode = hi >>> 28;
    const levels = MODE_LEVELS[mode];
    if (levels === undefined || mode > this.maxMode) return false;
    this.modeValue = mode;
    this.levels = levels;
    this.vaMask = levels === 0 ? 0 : ~0 << (9 * levels + 11 - 32);
    this.asidValue = (hi >>> 12) & 0xffff & this.asidMask;
    this.satpPpnHi = hi & 0xfff;
    this.satpPpnLo = lo;
    this.rootFrame = this.satpPpnHi * TWO32 + lo;
    return true;
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

  /** Drops every cached translation (an SFENCE.VMA x0, x0), e.g. after guest RAM was restored from a snapshot. */
  flushAll(): void {
    this.tlb.flushAll();
    this.bigCached = false;
  }

  /** Remakes {@link hitOk}: the step-5 rule, and for stores D = 1 (a clean entry re-walks to set D). */
  private fillHitTable(): void {
    for (let p = 0; p < 2; p++) {
      for (let access = 0; access < 3; access++) {
        for (let k = 0; k < 32; k++) {
          const pte = ((k & 15) << 1) | (k & 16 ? PTE_D : 0);
          const ok = this.permits(pte, access as Access, p) && (access !== Access.Write || (pte & PTE_D) !== 0);
          this.hitOk[(p * 3 + access) * 32 + k] = ok ? 1 : 0;
        }
      }
    }
  }

  /** Whether a leaf with low bits `pte` allows `access` at privilege `p` (0 or 1) under SUM and MXR (spec step 5). */
  private permits(pte: number, access: Access, p: number): boolean {
    if ((pte & PTE_U) !== 0) {
      if (p === 1 && (access === Access.Execute || !this.sum)) return false;
    } else if (p === 0) return false;
    if (access === Access.Read) return (pte & PTE_R) !== 0 || (this.mxr && (pte & PTE_X) !== 0);
    if (access === Access.Write) return (pte & PTE_W) !== 0;
    return (pte & PTE_X) !== 0;
  }

  private effectiveFlags(perm: number, p: RiscvPriv): MappingFlags {
    let f = 0;
    if (this.permits(perm, Access.Read, p)) f |= MappingFlags.READ;
    if (this.permits(perm, Access.Write, p)) f |= MappingFlags.WRITE;
    if (this.permits(perm, Access.Execute, p)) f |= MappingFlags.EXECUTE;
    if ((perm & PTE_U) !== 0) f |= MappingFlags.USER;
    const pbmt = (perm >>> PERM_PBMT_SHIFT) & 3;
    if (pbmt === 1) f |= MappingFlags.UNCACHED;
    else if (pbmt === 2) f |= MappingFlags.DEVICE;
    return f;
  }

  /** Bare mode or M-mode: PA = VA, checked by PMP/PMA. */
  private untranslated(hi: number, lo: number, access: Access, p: RiscvPriv): number {
    if (hi >= 0x20_0000) return this.fail(accessFaultCause(access), hi, lo);
    const pa = hi * TWO32 + lo;
    if (this.pmp !== undefined && !this.pmp(pa, access, p)) return this.fail(accessFaultCause(access), hi, lo);
    this.lastLevel = -1;
    return pa;
  }

  /** The PMP/PMA check of the final PA. */
  private finish(pa: number, hi: number, lo: number, access: Access, p: RiscvPriv): number {
    if (this.pmp !== undefined && !this.pmp(pa, access, p)) return this.fail(accessFaultCause(access), hi, lo);
    this.lastPriv = p;
    return pa;
  }

  private fail(cause: number, hi: number, lo: number): number {
    this.faultCause = cause;
    this.faultTvalHi = hi;
    this.faultTvalLo = lo;
    this.stats.faults++;
    return -1;
  }

  /** Records a walk failure in the scratch fields; returns -1. */
  private stop(cause: number, why: string, level: number): number {
    this.wCause = cause;
    this.wWhy = why;
    this.wLevel = level;
    return -1;
  }

  /**
   * One pass of the spec's translation process for a canonical VA at
   * privilege `p` (0 or 1): the PA, -1 for a fault (scratch fields say which)
   * or -2 when the A/D compare-and-swap lost a race (walk again). With `dry`
   * nothing is written and every entry read is pushed to `trace`.
   */
  private walk(hi: number, lo: number, access: Access, p: number, dry: boolean, trace: WalkStep[] | undefined): number {
    const r = this.walkFrame(hi, lo, access, p, dry, trace);
    return r < 0 ? r : this.wFrame * 4096 + (lo & 0xfff);
  }

  /** {@link walk} returning 0 on success, the 4 KiB frame in `wFrame`. */
  private walkFrame(
    hi: number,
    lo: number,
    access: Access,
    p: number,
    dry: boolean,
    trace: WalkStep[] | undefined,
  ): number {
    const mem = this.mem;
    const pf = pageFaultCause(access);
    let frame = this.rootFrame;
    let level = this.levels - 1;
    let global = false;
    this.wAd = false;
    this.wLeaf = false;
    for (;;) {
      const idx = entryIndex(hi, lo, level);
      const base = mem.frameWord(frame);
      const entryPa = frame * 4096 + idx * 8;
      // Spec step 2: the PTE read itself must pass PMA (memory there) and PMP (as an S-mode read).
      this.wEntryPa = entryPa;
      if (base < 0) return this.stop(accessFaultCause(access), 'page-table entry outside physical memory', level);
      if (this.pmp !== undefined && !this.pmp(entryPa, Access.Read, 1)) {
        return this.stop(accessFaultCause(access), 'PMP/PMA denies reading the page-table entry', level);
      }
      const words = mem.words;
      const w = base + idx * 2;
      let elo = words[w];
      const ehi = words[w + 1];
      trace?.push({ level, index: idx, entryPaddr: entryPa as PhysAddr, entry: big(ehi, elo) });
      // Step 3: invalid, reserved R/W/X encodings and reserved bits.
      if ((elo & PTE_V) === 0) return this.stop(pf, 'V=0', level);
      if ((elo & (PTE_R | PTE_W)) === PTE_W) return this.stop(pf, 'W=1 without R (reserved encoding)', level);
      if ((ehi & RESERVED_HI) !== 0) return this.stop(pf, 'reserved bits 60:54 set', level);
      const pbmt = (ehi >>> 29) & 3;
      if (pbmt !== 0) {
        if (!this.svpbmt) return this.stop(pf, 'PBMT set without Svpbmt (reserved)', level);
        if (pbmt === 3) return this.stop(pf, 'PBMT=3 (reserved value)', level);
      }
      const napot = ehi >>> 31 !== 0;
      if (napot && !this.svnapot) return this.stop(pf, 'N set without Svnapot (reserved)', level);
      const ppn = (elo >>> 10) + (ehi & PPN_HI_MASK) * PPN_LO_SPAN;
      if ((elo & (PTE_R | PTE_X)) === 0) {
        // Step 4: a pointer to the next level.
        if ((elo & (PTE_A | PTE_D | PTE_U)) !== 0)
          return this.stop(pf, 'A, D or U set on a non-leaf entry (reserved)', level);
        if (napot || pbmt !== 0) return this.stop(pf, 'N or PBMT set on a non-leaf entry (reserved)', level);
        if (level === 0) return this.stop(pf, 'non-leaf entry at the last level', level);
        if ((elo & PTE_G) !== 0) global = true;
        frame = ppn;
        level--;
        continue;
      }
      if ((elo & PTE_G) !== 0) global = true;
      // Svnapot: only a level-0 leaf with ppn[3:0] = 1000 (64 KiB) is defined.
      // ppn[3:0] from the low word, and below divisions by powers of two: `%` on a double is a runtime call.
      if (napot && (level !== 0 || ((elo >>> 10) & 15) !== 8)) return this.stop(pf, 'reserved NAPOT encoding', level);
      // A leaf: what the debug walk reports as its permissions, whatever follows.
      if (dry) {
        this.wLeaf = true;
        this.wLevel = level;
        this.wPerm = (elo & 0xff) | (napot ? PERM_NAPOT : 0) | (pbmt << PERM_PBMT_SHIFT);
      }
      // Step 5: R/W/X/U against the privilege, SUM and MXR.
      if (!this.permits(elo, access, p)) return this.stop(pf, this.denial(elo, access, p), level);
      // Step 6: superpage alignment.
      if (level > 0 && Math.floor(ppn / PAGES[level]) * PAGES[level] !== ppn)
        return this.stop(pf, 'misaligned superpage', level);
      // Step 7: A/D.
      const store = access === Access.Write;
      if ((elo & PTE_A) === 0 || (store && (elo & PTE_D) === 0)) {
        if (!this.svadu) return this.stop(pf, (elo & PTE_A) === 0 ? 'A=0 (Svade)' : 'D=0 on a store (Svade)', level);
        const next = (elo | PTE_A | (store ? PTE_D : 0)) >>> 0;
        if (this.pmp !== undefined && !this.pmp(entryPa, Access.Write, 1)) {
          return this.stop(accessFaultCause(access), 'PMP/PMA denies the A/D write', level);
        }
        if (dry) {
          this.wAd = true;
          this.wBefore = big(ehi, elo);
          this.wAfter = big(ehi, next);
        } else if (!this.entryCas.swapLo(words, w, elo, ehi, next)) return -2;
        elo = next;
      }
      // Step 8: the PA.
      const vpn = hi * 1048576 + (lo >>> 12);
      const frame4k = napot
        ? ppn - 8 + ((lo >>> 12) & 15)
        : level === 0
          ? ppn
          : ppn + (vpn - Math.floor(vpn / PAGES[level]) * PAGES[level]);
      if (frame4k >= SAFE_FRAME_LIMIT)
        return this.stop(accessFaultCause(access), 'PA at or above 2^53 (outside physical memory)', level);
      this.wLevel = level;
      this.wFrame = frame4k;
      this.wGlobal = global;
      this.wPerm = (elo & 0xff) | (napot ? PERM_NAPOT : 0) | (pbmt << PERM_PBMT_SHIFT);
      return 0;
    }
  }

  /** Why step 5 refused, for the debug walk. */
  private denial(pte: number, access: Access, p: number): string {
    if ((pte & PTE_U) !== 0 && p === 1)
      return access === Access.Execute ? 'S-mode fetch from a U=1 page' : 'U=1 page at S-mode with SUM=0';
    if ((pte & PTE_U) === 0 && p === 0) return 'U=0 page at U-mode';
    if (access === Access.Read) return this.mxr ? 'load needs R or X (MXR=1)' : 'load needs R (MXR=0)';
    return access === Access.Write ? 'store needs W' : 'fetch needs X';
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
