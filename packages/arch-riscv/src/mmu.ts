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
  type EmulatorMmu,
  EntryCas,
  MappingFlags,
  type MmuFaultReport,
  type MmuInfo,
  type MmuStats,
  newMmuStats,
  type PageSize,
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
import { type AddrLike, fromHalves, type PhysAddr, type VirtAddr } from '@page-table/memory-addr';
import { accessFaultCause, pageFaultCause, type RiscvCause, type RiscvFault } from './fault.js';
import type { SvMode } from './metadata.js';
import {
  decodeRiscvConfig,
  legalMstatusLo,
  legalSatp,
  MAX_MODE,
  MENVCFG_ADUE_HI,
  MENVCFG_PBMTE_HI,
  type RiscvHart,
  type RiscvMmuConfig,
  type RiscvPhysCheck,
  type RiscvPriv,
  type RiscvRawRegisters,
  SSTATUS_HI,
  SSTATUS_LO,
} from './mmu-config.js';
import { leafSize, type RiscvDebugTranslation, riscvDebugReport } from './mmu-debug.js';
import { describeRiscvFault, RISCV_MMU_INFO } from './mmu-report.js';
import { effectiveFlags, hitIndex } from './mmu-rights.js';
import { RiscvWalkState, WALK_RETRY, walkRiscv } from './mmu-walk.js';
import { sfenceVmaAll, sfenceVmaVa } from './sfence-vma.js';

export { type RiscvPhysCheck, RiscvPriv } from './mmu-config.js';
export type { RiscvAdUpdate, RiscvDebugTranslation } from './mmu-debug.js';

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

const TWO32 = 4294967296;
const RWX = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE;

function hex(x: number | bigint): string {
  return `0x${x.toString(16)}`;
}

function big(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
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

  private readonly hart: RiscvHart;
  private readonly pmp: RiscvPhysCheck | undefined;
  private readonly tlb: SoftTlb;
  private readonly ws: RiscvWalkState;
  // The registers, decoded; replaced (never changed) by each setter.
  private cfg: RiscvMmuConfig;
  // Whether the TLB may hold pages of 512 GiB / 256 TiB leaves (see sfenceVmaVa).
  private bigCached = false;
  // Last success of the hot path: TLB-style perm bits, leaf level (-1: untranslated) and privilege.
  private lastPerm = 0;
  private lastLevel = -1;
  private lastPriv: RiscvPriv = 1;

  /** An MMU over `mem` in the state `options` gives; throws `RangeError` for a value no hart can hold. */
  constructor(mem: PhysMemory, options: RiscvMmuOptions = {}) {
    this.tlb = createSoftTlb(options.tlbEntries, 'RiscvMmu');
    const maxMode = options.maxMode ?? 'Sv57';
    if (!(maxMode in MAX_MODE)) throw new RangeError(`RiscvMmu: unknown maxMode ${String(maxMode)}`);
    const asidBits = options.asidBits ?? 16;
    if (!Number.isInteger(asidBits) || asidBits < 0 || asidBits > 16)
      throw new RangeError(`RiscvMmu: asidBits ${asidBits} is outside 0..16`);
    this.hart = Object.freeze({
      maxMode: MAX_MODE[maxMode],
      asidMask: (1 << asidBits) - 1,
      svnapot: options.svnapot === true,
      pmp: options.pmp,
    });
    this.pmp = options.pmp;
    this.ws = new RiscvWalkState(mem, this.hart, new EntryCas());
    const [hi, lo] = registerHalves(options.satp ?? 0, 'RiscvMmu', 'satp');
    const s = legalSatp(this.hart, hi, lo);
    if (s === undefined) {
      throw new RangeError(`RiscvMmu: satp ${hex(options.satp ?? 0)} selects a MODE this hart does not implement`);
    }
    this.cfg = decodeRiscvConfig({
      satpHi: s[0],
      satpLo: s[1],
      mstatusHi: 0,
      mstatusLo: 0,
      priv: 3,
      svadu: options.svadu === true,
      svpbmt: options.svpbmt === true,
    });
    this.mstatus = options.mstatus ?? 0;
    this.priv = options.priv ?? 3;
  }

  /** Replaces the configuration with the decoding of the current registers changed by `change`. */
  private write(change: Partial<RiscvRawRegisters>): void {
    const c = this.cfg;
    this.cfg = decodeRiscvConfig({
      satpHi: change.satpHi ?? c.satpHi,
      satpLo: change.satpLo ?? c.satpLo,
      mstatusHi: change.mstatusHi ?? c.mstatusHi,
      mstatusLo: change.mstatusLo ?? c.mstatusLo,
      priv: change.priv ?? c.priv,
      svadu: change.svadu ?? c.svadu,
      svpbmt: change.svpbmt ?? c.svpbmt,
    });
  }

  // ------------------------------------------------------------ registers
  // Each setter is the guest's CSR write, with its TLB effects.

  /** `satp` as it reads back: MODE [63:60], ASID [59:44] (legalized to ASIDLEN bits), PPN [43:0]. */
  get satp(): bigint {
    return big(this.cfg.satpHi, this.cfg.satpLo);
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
    const [hi, lo] = registerHalves(value, 'RiscvMmu', 'satp');
    const s = legalSatp(this.hart, hi, lo);
    if (s !== undefined) this.write({ satpHi: s[0], satpLo: s[1] });
  }

  /** `satp.MODE`: 0 Bare, 8 Sv39, 9 Sv48, 10 Sv57 (compare with `SatpMode`). */
  get mode(): number {
    return this.cfg.mode;
  }

  /** `satp.ASID` (legalized to ASIDLEN bits): the tag of new TLB entries and of lookups. */
  get asid(): number {
    return this.cfg.asid;
  }

  /** `mstatus` as stored (MPP legalized); the MMU reads MPP [12:11], MPRV [17], SUM [18] and MXR [19]. */
  get mstatus(): bigint {
    return big(this.cfg.mstatusHi, this.cfg.mstatusLo);
  }
  /**
   * CSRW mstatus: MPP, MPRV, SUM and MXR take effect on the next access (TLB
   * hits re-check them, so nothing is flushed). MPP is WARL: the reserved
   * value 2 keeps the previous MPP. Other bits are stored but unused.
   */
  set mstatus(value: number | bigint) {
    const [hi, lo] = registerHalves(value, 'RiscvMmu', 'mstatus');
    this.write({ mstatusHi: hi, mstatusLo: legalMstatusLo(this.cfg.mpp, lo) });
  }

  /** `sstatus`, the S-mode view of `mstatus`: its SIE, SPIE, UBE, SPP, VS, FS, XS, SUM, MXR, UXL and SD bits. */
  get sstatus(): bigint {
    return big(this.cfg.mstatusHi & SSTATUS_HI, this.cfg.mstatusLo & SSTATUS_LO);
  }
  /**
   * CSRW sstatus: writes the `mstatus` bits `sstatus` shows and keeps the
   * others (MPP, MPRV...). Of these only SUM and MXR concern the MMU; as for
   * {@link mstatus}, they take effect on the next access and nothing is flushed.
   */
  set sstatus(value: number | bigint) {
    const [hi, lo] = registerHalves(value, 'RiscvMmu', 'sstatus');
    const c = this.cfg;
    this.write({
      mstatusHi: ((c.mstatusHi & ~SSTATUS_HI) | (hi & SSTATUS_HI)) >>> 0,
      mstatusLo: ((c.mstatusLo & ~SSTATUS_LO) | (lo & SSTATUS_LO)) >>> 0,
    });
  }

  /** Current privilege: 0 U, 1 S, 3 M. */
  get priv(): RiscvPriv {
    return this.cfg.priv;
  }
  /**
   * A privilege change (trap, `mret`, `sret`): throws `RangeError` for
   * anything but 0 (U), 1 (S) or 3 (M). The TLB is not privilege-tagged and
   * hits re-check the privilege, so nothing is flushed.
   */
  set priv(priv: RiscvPriv) {
    if (priv !== 0 && priv !== 1 && priv !== 3)
      throw new RangeError(`RiscvMmu: privilege ${String(priv)} is not 0 (U), 1 (S) or 3 (M)`);
    if (priv !== this.cfg.priv) this.write({ priv });
  }

  /**
   * `menvcfg` as the MMU holds it: ADUE (bit 61) and PBMTE (bit 62), from
   * the last write or the `svadu` / `svpbmt` options; every other bit reads
   * as zero (not modelled).
   */
  get menvcfg(): bigint {
    return (this.cfg.svadu ? 1n << 61n : 0n) | (this.cfg.svpbmt ? 1n << 62n : 0n);
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
    const [hi] = registerHalves(value, 'RiscvMmu', 'menvcfg');
    const svpbmt = (hi & MENVCFG_PBMTE_HI) !== 0;
    if (svpbmt !== this.cfg.svpbmt) this.flushAll();
    this.write({ svadu: (hi & MENVCFG_ADUE_HI) !== 0, svpbmt });
  }

  /** Whether A/D bits are updated by hardware (Svadu with ADUE = 1) rather than faulting (Svade). */
  get hardwareAd(): boolean {
    return this.cfg.svadu;
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
    const cfg = this.cfg;
    let p = cfg.priv;
    if (p === 3) {
      if (access === 2 || !cfg.mprv || cfg.mpp === 3) return this.untranslated(hi, lo, access, 3);
      p = cfg.mpp;
    }
    if (cfg.levels === 0) return this.untranslated(hi, lo, access, p);
    const m = hi & cfg.vaMask;
    if (m !== 0 && m !== cfg.vaMask) return this.fail(pageFaultCause(access), hi, lo);
    const tlb = this.tlb;
    const slot = tlb.lookup(hi, lo, cfg.asid);
    if (slot >= 0) {
      const perm = tlb.perm(slot);
      // Permissions are re-checked against the current privilege, SUM and MXR; a store on a clean entry re-walks to set D.
      if (cfg.hitOk[hitIndex(p, access, perm)] !== 0) {
        this.stats.hits++;
        this.lastPerm = perm;
        this.lastLevel = tlb.levelOf(slot);
        return this.finish(tlb.frameOf(slot) * 4096 + (lo & 0xfff), hi, lo, access, p);
      }
    }
    this.stats.misses++;
    const ws = this.ws;
    let r: number;
    do r = walkRiscv(ws, cfg, hi, lo, access, p, false, undefined);
    while (r === WALK_RETRY);
    if (r < 0) return this.fail(ws.cause, hi, lo);
    tlb.insert(hi, lo, cfg.asid, ws.global, ws.frame, ws.level, ws.perm);
    if (ws.level >= 3) this.bigCached = true;
    this.lastPerm = ws.perm;
    this.lastLevel = ws.level;
    return this.finish(ws.frame * 4096 + (lo & 0xfff), hi, lo, access, p);
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
    if (this.lastLevel < 0) return RWX;
    return effectiveFlags(this.cfg.rights, this.lastPerm, this.lastPriv);
  }

  /**
   * Size of the leaf of the last successful hot-path translation: 4 KiB,
   * 64 KiB (Svnapot), 2 MiB, 1 GiB, 512 GiB (Sv48/57) or 256 TiB (Sv57);
   * the last two and 64 KiB are outside core's `PageSize` names. 4 KiB when
   * untranslated.
   */
  get lastSize(): PageSize {
    return this.lastLevel < 0 ? 0x1000 : leafSize(this.lastLevel, this.lastPerm);
  }

  /**
   * The walk `translate(va, access)` would do, with every entry read, the
   * outcome and where and why it stopped — always a fresh walk (the TLB is
   * neither consulted nor filled), no A/D write (reported as `adUpdate`), no
   * counter or fault field changed: guest RAM is byte-identical afterwards.
   * When the walk reached a leaf, `permissions` and `leafSize` describe it,
   * also when the access then faulted.
   */
  debugTranslate(va: AddrLike, access: Access = Access.Read): RiscvDebugTranslation {
    return sharedReport(riscvDebugReport(this.ws, this.cfg, va, access));
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
    const a = asid === undefined ? undefined : Number(BigInt(asid) & 0xffffn) & this.hart.asidMask;
    let all: boolean;
    if (va === undefined) all = sfenceVmaAll(this.tlb, a);
    else {
      const [hi, lo] = vaHalves(va, 'RiscvMmu: sfence.vma rs1');
      all = sfenceVmaVa(this.tlb, this.cfg, this.bigCached, hi, lo, a);
    }
    if (all) this.bigCached = false;
  }

  /** Drops every cached translation (an SFENCE.VMA x0, x0), e.g. after guest RAM was restored from a snapshot. */
  flushAll(): void {
    this.tlb.flushAll();
    this.bigCached = false;
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

  // ------------------------------------------------------------ internals

  /** Bare mode or M-mode: PA = VA, checked by PMP/PMA. */
  private untranslated(hi: number, lo: number, access: Access, p: RiscvPriv): number {
    if (hi >= 0x20_0000) return this.fail(accessFaultCause(access), hi, lo);
    const pa = hi * TWO32 + lo;
    const pmp = this.pmp;
    if (pmp !== undefined && !pmp(pa, access, p)) return this.fail(accessFaultCause(access), hi, lo);
    this.lastLevel = -1;
    return pa;
  }

  /** The PMP/PMA check of the final PA. */
  private finish(pa: number, hi: number, lo: number, access: Access, p: RiscvPriv): number {
    const pmp = this.pmp;
    if (pmp !== undefined && !pmp(pa, access, p)) return this.fail(accessFaultCause(access), hi, lo);
    this.lastPriv = p;
    return pa;
  }

  /** Records a fault for the guest's trap (cause, `stval`) and counts it; returns -1. */
  private fail(cause: number, hi: number, lo: number): number {
    this.faultCause = cause;
    this.faultTvalHi = hi;
    this.faultTvalLo = lo;
    this.stats.faults++;
    return -1;
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
