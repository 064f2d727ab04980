/**
 * `LA64Mmu`: the LoongArch64 emulator MMU — direct address translation,
 * the direct-mapped windows, the TLB with its exact faults, the TLB refill
 * (done by the MMU like Linux's handler, or left to the guest), and the
 * TLB maintenance instructions (LoongArch Reference Manual Vol. 1 v1.10,
 * "Memory Management": "Virtual Address Space and Address Translation
 * Mode", "Direct Mapped Address Translation Mode", "Page Table Mapping
 * Memory Access Type", "TLB"; "Exception Status"; "TLB Maintenance
 * Instructions"; "Software Page Table Walking Instructions").
 *
 * @module
 */

import {
  Access,
  accessError,
  checkAccess,
  type EmulatorMmu,
  type MappingFlags,
  type MmuFaultReport,
  type MmuInfo,
  type MmuStats,
  type PhysMemory,
  resetMmuStats,
  sharedReport,
  type TranslateResult,
  vaHalves,
  vaHi,
  vaLo,
} from '@page-table/core';
import { type AddrLike, fromHalves, type PhysAddr } from '@page-table/memory-addr';
import { LA64AdeSubcode, LA64Ecode, type LA64Fault, la64Fault } from './fault.js';
import { dmwIndex, layoutOrThrow } from './mmu-config.js';
import { type LA64DebugTranslation, la64DebugReport } from './mmu-debug.js';
import { big, type LA64MmuOptions, LA64MmuRegisterFile } from './mmu-registers.js';
import { describeLA64Fault, LA64_MMU_INFO } from './mmu-report.js';
import { permFlags } from './mmu-rights.js';
import { LA64RefillWalk } from './mmu-walk.js';
import { reg64 } from './registers.js';
import { type LA64TlbEntry, type LA64TlbEntryInfo, pow2 } from './tlb.js';
import { softLevel } from './tlb-invalidate.js';

export type { LA64DebugTranslation, LA64TranslationPath } from './mmu-debug.js';
export type { LA64MmuOptions, LA64MmuRegisters } from './mmu-registers.js';

const TWO32 = 4294967296;

/**
 * The LoongArch64 MMU of an emulated CPU, over the guest's physical memory
 * (`RamHandler` or any `PhysMemory`; tables are read in place, never
 * copied, and never written: LoongArch has no accessed bit, and D is the
 * software-managed write enable).
 *
 * An access is translated, in the manual's order, by direct address
 * translation (CRMD.DA=1, PG=0), a direct-mapped window (DMW0..3; 2 and 3
 * for data only), or — after the legal-VA check (ADE) — the TLB: an entry
 * matching the VA and (G or the ASID), whose even/odd half selected by
 * VA[PS] is then checked V → NX → PLV/RPLV → NR → D. A TLB miss is a
 * refill: by the MMU itself (`ptw`, Linux's handler) or by the guest.
 *
 * The architectural TLB (STLB 256×8 + MTLB 64 by default) is modelled, so a
 * translation may be stale exactly where the hardware's may: until the
 * guest invalidates it (INVTLB, TLBCLR, TLBFLUSH, TLBWR) or a TLBFILL evicts
 * it. A software TLB of 4 KiB pages in front of it makes a repeated access
 * allocation-free; privilege rules (PLV, RPLV, MISC.DWPL) are re-checked on
 * every hit, so no register write needs a flush.
 */
export class LA64Mmu extends LA64MmuRegisterFile implements EmulatorMmu<LA64Fault> {
  /** Whether the MMU refills the TLB itself on a miss (see {@link LA64MmuOptions.ptw}). */
  ptw: boolean;
  /** TLB counters: hits (served by the TLB), misses (refills, by the MMU or asked of the guest), faults (every fault). */
  readonly stats: MmuStats = { hits: 0, misses: 0, faults: 0 };

  /** After a faulting {@link translatePa}: ESTAT.Ecode of the fault (PIL/PIS/PIF for a refill). */
  faultEcode = 0;
  /** After a faulting {@link translatePa}: ESTAT.EsubCode. */
  faultEsubcode = 0;
  /** After a faulting {@link translatePa}: whether it is the TLB refill exception. */
  faultRefill = false;
  /** After a faulting {@link translatePa}: high 32 bits of BADV. */
  faultVaHi = 0;
  /** After a faulting {@link translatePa}: low 32 bits of BADV. */
  faultVaLo = 0;

  private readonly walk: LA64RefillWalk;
  private readonly paHiMask: number;
  private readonly legalShift: number;
  // The last successful translation: its permission word, or the flags of a direct one (-1: through the TLB).
  private lastPerm = 0;
  private lastDirect = -1;
  // The PA of a miss comes back in a field: a PA above 2^30 returned from a call is a heap number, allocated per miss.
  private missPa = 0;
  // The VA of a miss goes in fields too: a half above 2^30 passed to a call that is not inlined is a heap number.
  private vaHi = 0;
  private vaLo = 0;

  /** Builds the MMU from the CPU's CSRs; throws `RangeError` for a value out of range or a walk layout it does not support. */
  constructor(mem: PhysMemory, options: LA64MmuOptions = {}) {
    super(mem, options);
    this.paHiMask = 2 ** (this.palen - 32) - 1;
    this.legalShift = this.valen - 33;
    this.ptw = options.ptw ?? true;
    this.walk = new LA64RefillWalk(mem, this.palen);
  }

  // ---------------------------------------------------------- translation

  /**
   * Translates one access: `{ paddr, size, flags }`, or `{ fault }` with the
   * exact LoongArch fault (a value, never thrown). `size` is the bytes of the
   * leaf that mapped it: the TLB page, 2^PS, or 2^(PS+1) for a huge page the
   * MMU's own walk split in two (a guest's TLBFILL can only say 2^PS);
   * 2^PALEN for direct translation and the windows (linear over all of
   * physical memory). `flags` are the effective
   * permissions at the current PLV.
   */
  translate(va: AddrLike, access: Access): TranslateResult<LA64Fault> {
    checkAccess(access);
    const [hi, lo] = vaHalves(va, 'loongarch64 MMU');
    const pa = this.translatePaHalves(hi, lo, access);
    if (pa < 0) return { fault: this.lastFault as LA64Fault };
    return { paddr: pa as PhysAddr, size: this.lastSize, flags: this.lastFlags };
  }

  /**
   * The allocation-free hot path: the PA as a number, or -1 on a fault,
   * whose details are then in {@link faultEcode}, {@link faultEsubcode},
   * {@link faultRefill}, {@link faultVaHi}/{@link faultVaLo} (or
   * {@link lastFault}). `va` is an integer, negative ones sign-extended (as
   * on every MMU: `-0x1000` is VA 0xffff_ffff_ffff_f000); beyond ±2^53 use
   * {@link translatePaHalves}.
   */
  translatePa(va: number, access: Access): number {
    return this.translatePaHalves(vaHi(va), vaLo(va), access);
  }

  /** {@link translatePa} with the VA as unsigned 32-bit halves. */
  translatePaHalves(hi: number, lo: number, access: Access): number {
    // Literals, not `Access.*` loads: this test runs on every hit.
    if (access !== 0 && access !== 1 && access !== 2) throw accessError(access);
    hi >>>= 0;
    lo >>>= 0;
    const cfg = this.cfg;
    if (cfg.direct) {
      this.lastDirect = cfg.directFlags[access];
      return (hi & this.paHiMask) * TWO32 + lo;
    }
    // The window search is a call: under 460 bytes of bytecode this method is inlined, and its PA is not boxed as a heap number.
    const dmw = cfg.dmwOn ? dmwIndex(cfg, hi, access) : -1;
    if (dmw >= 0) {
      this.lastDirect = cfg.dmwFlags[dmw];
      return (hi & this.paHiMask) * TWO32 + lo;
    }
    const top = (hi | 0) >> this.legalShift;
    if (top !== 0 && top !== -1) {
      return this.fail(hi, lo, LA64Ecode.ADE, access === 2 ? LA64AdeSubcode.ADEF : LA64AdeSubcode.ADEM, false);
    }
    const slot = this.soft.lookup(hi, lo, cfg.asid);
    if (slot < 0) {
      this.vaHi = hi;
      this.vaLo = lo;
      return this.miss(access) < 0 ? -1 : this.missPa;
    }
    this.stats.hits++;
    const perm = this.soft.perm(slot);
    const code = cfg.rights.codes[access * 512 + (perm & 511)];
    if (code !== 0) return this.fail(hi, lo, code, 0, false);
    this.lastPerm = perm;
    this.lastDirect = -1;
    return this.soft.frameOf(slot) * 4096 + (lo & 0xfff);
  }

  /**
   * A software-TLB miss of the VA in `vaHi`/`vaLo`: the TLB (refilled when
   * `ptw`), then the checks. 0 with the PA in `missPa`, or -1 (the fault
   * recorded). Every call it makes passes small integers only.
   */
  private miss(access: Access): number {
    const cfg = this.cfg;
    const t = this.tlb;
    const hi = this.vaHi;
    const lo = this.vaLo;
    const vhi = this.ops.vhi(hi);
    const vlo = lo >>> 12;
    let i = t.find(vhi, vlo, cfg.asid);
    if (i < 0) {
      this.stats.misses++;
      if (!this.ptw) return this.missFault(LA64Ecode.PIL + access, true);
      const w = this.walk;
      w.walker.reset();
      w.walker.badvHi = hi;
      w.walker.badvLo = lo;
      w.run(cfg, layoutOrThrow(cfg));
      i = this.ops.refillSlot(vhi, vlo, w.ps);
      w.fill(t, i, vhi, vlo, cfg.asid);
    } else {
      this.stats.hits++;
    }
    t.page(i, hi >>> 16, hi & 0xffff, vlo);
    const perm = t.pagePerm;
    this.soft.insert(hi, lo, t.asid(i), t.global(i), t.pageFrame, softLevel(t.ps(i)), perm);
    const code = cfg.rights.codes[access * 512 + (perm & 511)];
    if (code !== 0) return this.missFault(code, false);
    this.lastPerm = perm;
    this.lastDirect = -1;
    this.missPa = t.pageFrame * 4096 + (lo & 0xfff);
    return 0;
  }

  private missFault(ecode: number, refill: boolean): number {
    return this.fail(this.vaHi, this.vaLo, ecode, 0, refill);
  }

  private fail(hi: number, lo: number, ecode: number, esubcode: number, refill: boolean): number {
    this.faultEcode = ecode;
    this.faultEsubcode = esubcode;
    this.faultRefill = refill;
    this.faultVaHi = hi;
    this.faultVaLo = lo;
    this.stats.faults++;
    return -1;
  }

  /** The fault of the last faulting translation, as a record (allocates). */
  get lastFault(): LA64Fault | undefined {
    if (this.faultEcode === 0) return undefined;
    return la64Fault(this.faultEcode, this.faultEsubcode, fromHalves(this.faultVaHi, this.faultVaLo), this.faultRefill);
  }

  /** Effective permissions of the last successful translation. */
  get lastFlags(): MappingFlags {
    return this.lastDirect >= 0 ? this.lastDirect : permFlags(this.cfg.rights, this.lastPerm);
  }

  /** Size reported for the last successful translation (see {@link translate}). */
  get lastSize(): number {
    return pow2(this.lastDirect >= 0 ? this.palen : (this.lastPerm >>> 9) & 63);
  }

  /**
   * The same translation with no side effect at all (RAM, TLB and counters
   * untouched): how the VA is translated, the refill walk's loads over the
   * current tables, the TLB entry used (or the one a refill would write),
   * the page's permissions, and the result `translate` would return.
   */
  debugTranslate(va: AddrLike, access: Access = Access.Read): LA64DebugTranslation {
    checkAccess(access);
    const [hi, lo] = vaHalves(va, 'loongarch64 MMU');
    const src = { cfg: this.cfg, walk: this.walk, ops: this.ops, ptw: this.ptw, palen: this.palen, valen: this.valen };
    return sharedReport(la64DebugReport(src, hi, lo, access));
  }

  /** The manual's table and privilege names. */
  get info(): MmuInfo {
    return LA64_MMU_INFO;
  }

  /** A fault of this MMU in words and fields. */
  describeFault(fault: LA64Fault): MmuFaultReport {
    return describeLA64Fault(fault);
  }

  /** Zeroes {@link stats}. */
  resetStats(): void {
    resetMmuStats(this.stats);
  }

  /** Drops every cached translation: the whole architectural TLB (INVTLB op 0) and the software TLB in front of it. */
  flushAll(): void {
    this.invtlb(0);
  }

  // ------------------------------------------------------- TLB maintenance

  /**
   * INVTLB op, rj (ASID in bits 9:0), rk (VA): op 0/1 all entries, 2 all
   * G=1, 3 all G=0, 4 G=0 with the ASID, 5 G=0 with the ASID and the VA,
   * 6 (G=1 or the ASID) and the VA. Returns false, changing nothing, for a
   * reserved op: the emulator then raises INE (Ecode 0xD).
   */
  invtlb(op: number, asid: AddrLike = 0, va: AddrLike = 0): boolean {
    if (!Number.isInteger(op) || op < 0 || op > 6) return false;
    const a = reg64(asid, 'asid')[1] & 0x3ff;
    const [hi, lo] = op >= 5 ? reg64(va, 'va') : [0, 0];
    return this.ops.invtlb(op, a, hi, lo);
  }

  /**
   * TLBFILL: writes `entry` to the STLB (when its PS equals STLBPS) or the
   * MTLB, into an empty slot or else the next one round-robin (the hardware
   * picks at random). Returns the index used. Throws `RangeError` for a PS
   * outside 12..VALEN-1.
   */
  tlbfill(entry: LA64TlbEntry): number {
    return this.ops.tlbfill(entry, this.cfg.asid);
  }

  /**
   * TLBWR: writes `entry` at `index` (TLBIDX.Index), E = 0 when `entry.ne`.
   * An STLB slot takes PS = STLBPS whatever `entry.ps` says (as QEMU; the
   * manual requires them equal). Throws `RangeError` for an index out of range.
   */
  tlbwr(index: number, entry: LA64TlbEntry): void {
    this.ops.tlbwr(index, entry, this.cfg.asid);
  }

  /** TLBRD: the entry at `index`, or `undefined` when it does not exist (E = 0: TLBIDX.NE = 1). */
  tlbrd(index: number): LA64TlbEntryInfo | undefined {
    return this.ops.tlbrd(index);
  }

  /** TLBSRCH: the index of the entry matching `ehi` (TLBEHI's VA) for `asid` (default the current ASID), or -1 (TLBIDX.NE = 1). */
  tlbsrch(ehi: AddrLike, asid?: number): number {
    const [hi, lo] = reg64(ehi, 'ehi');
    return this.ops.tlbsrch(hi, lo, asid === undefined ? this.cfg.asid : asid & 0x3ff);
  }

  /**
   * TLBCLR with TLBIDX.Index = `index`: invalidates the G=0 entries of the
   * current ASID in the STLB set `index` falls in, or in the whole MTLB.
   */
  tlbclr(index: number): void {
    this.ops.clear(index, this.cfg.asid);
  }

  /** TLBFLUSH with TLBIDX.Index = `index`: invalidates every entry of the STLB set `index` falls in, or of the whole MTLB. */
  tlbflush(index: number): void {
    this.ops.clear(index, -1);
  }

  /** Entries of the architectural TLB (valid TLBIDX.Index values are 0 .. tlbSize-1). */
  get tlbSize(): number {
    return this.tlb.size;
  }

  // ------------------------------------------------- page-walk instructions

  /**
   * LDDIR rd, rj, level (level 1..4) for the refill of `badv` (TLBRBADV):
   * the loaded directory entry (all 64 bits), or a huge entry passed through
   * and marked with the level in bits 14:13. Throws `RangeError` for a level
   * outside 1..4 or an unsupported PWCL/PWCH layout.
   */
  lddir(rj: AddrLike, level: number, badv: AddrLike): bigint {
    if (!Number.isInteger(level) || level < 1 || level > 4)
      throw new RangeError(`loongarch64: LDDIR level must be 1..4, got ${level}`);
    const layout = layoutOrThrow(this.cfg);
    const [rh, rl] = reg64(rj, 'rj');
    const [vh, vl] = reg64(badv, 'badv');
    const w = this.walk.walker;
    w.reset();
    w.operands(rh, rl, vh, vl);
    w.lddir(layout, level);
    return big(w.outHi, w.outLo);
  }

  /**
   * LDPTE rj, seq for the refill of `badv`: the value for TLBRELO0 (seq 0)
   * or TLBRELO1 (seq 1), and the PS it writes to TLBREHI.PS.
   */
  ldpte(
    rj: AddrLike,
    seq: 0 | 1,
    badv: AddrLike,
  ): {
    /** The 64-bit TLBRELO0 (seq 0) or TLBRELO1 (seq 1) value: the even or odd page's PTE, or half of a huge entry. */
    elo: bigint;
    /** The size of each half as log2 of its bytes, for TLBREHI.PS: PTbase for an ordinary PTE, half the huge page's span for a huge entry. */
    ps: number;
  } {
    const layout = layoutOrThrow(this.cfg);
    const [rh, rl] = reg64(rj, 'rj');
    const [vh, vl] = reg64(badv, 'badv');
    const w = this.walk.walker;
    w.reset();
    w.operands(rh, rl, vh, vl);
    w.ldpte(layout, seq & 1);
    return { elo: big(w.outHi, w.outLo), ps: w.outPs };
  }
}
