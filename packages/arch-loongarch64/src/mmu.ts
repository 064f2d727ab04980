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
  createSoftTlb,
  type EmulatorMmu,
  type MappingFlags,
  type MmuFaultReport,
  type MmuInfo,
  type MmuStats,
  type PhysMemory,
  resetMmuStats,
  type SoftTlb,
  sharedReport,
  type TranslateResult,
  vaHalves,
  vaHi,
  vaLo,
} from '@page-table/core';
import { type AddrLike, fromHalves, type PhysAddr } from '@page-table/memory-addr';
import { LA64AdeSubcode, LA64Ecode, type LA64Fault, la64Fault } from './fault.js';
import { decodeLA64Config, dmwIndex, type LA64MmuConfig, type LA64RawRegisters, layoutOrThrow } from './mmu-config.js';
import { type LA64DebugTranslation, la64DebugReport } from './mmu-debug.js';
import { describeLA64Fault, LA64_MMU_INFO } from './mmu-report.js';
import { permFlags } from './mmu-rights.js';
import { LA64RefillWalk } from './mmu-walk.js';
import { layoutProblem } from './refill.js';
import { PWCH_4LEVEL, PWCL_4LEVEL, reg64 } from './registers.js';
import { type LA64TlbEntry, type LA64TlbEntryInfo, type LA64TlbGeometry, La64Tlb, pow2 } from './tlb.js';
import { LA64TlbInstructions, softLevel } from './tlb-invalidate.js';

export type { LA64DebugTranslation, LA64TranslationPath } from './mmu-debug.js';

/**
 * What an `LA64Mmu` is built from: the CPU's CSRs as raw values (numbers or
 * bigints), named as in the manual, plus the model's own options. An
 * omitted CSR takes its reset value where the manual defines one.
 */
export interface LA64MmuOptions extends LA64TlbGeometry {
  /** CRMD: PLV (1:0), DA (3), PG (4), DATF (6:5), DATM (8:7). Reset 0x8: DA=1, PG=0 (direct address translation). */
  crmd?: AddrLike;
  /** PGDL: root table for VAs with bit 63 = 0 (bits 11:0 ignored). Default 0. */
  pgdl?: AddrLike;
  /** PGDH: root table for VAs with bit 63 = 1. Default 0. */
  pgdh?: AddrLike;
  /** PWCL: PTbase, PTwidth, Dir1/Dir2 base and width, PTEWidth. No reset value; default `PWCL_4LEVEL`. */
  pwcl?: AddrLike;
  /** PWCH: Dir3/Dir4 base and width. No reset value; default `PWCH_4LEVEL`. */
  pwch?: AddrLike;
  /** ASID: bits 9:0 are the current ASID. Default 0. */
  asid?: AddrLike;
  /** DMW0: PLV0..3 enables (3:0), MAT (5:4), VSEG (63:60); fetch and data. Reset: no PLV enabled. */
  dmw0?: AddrLike;
  /** DMW1: as DMW0. */
  dmw1?: AddrLike;
  /** DMW2: as DMW0, data accesses only. */
  dmw2?: AddrLike;
  /** DMW3: as DMW2. */
  dmw3?: AddrLike;
  /** STLBPS: PS (5:0), the page size of the STLB. No reset value; default PWCL.PTbase (what Linux programs). */
  stlbps?: AddrLike;
  /** MISC: DWPL0..2 (bits 16..18) disable the D-bit store check at PLV0..2. Default 0. */
  misc?: AddrLike;
  /**
   * Whether a TLB miss is served by the MMU walking the tables (LDDIR at
   * every directory level, LDPTE 0/1, TLBFILL — Linux's refill handler),
   * or returned as a `{ refill: true }` fault for the guest's own handler.
   * Default true.
   */
  ptw?: boolean;
  /** PALEN, physical address bits (33..48). Default 48. */
  palen?: number;
  /** VALEN, virtual address bits (33..48). Default 48. */
  valen?: number;
  /**
   * Entries of the software TLB in front of the architectural TLB: a power
   * of two, or 0 for none (every access searches the architectural TLB).
   * Default 1024.
   */
  tlbEntries?: number;
  /** @deprecated The old name of {@link tlbEntries} (same meaning); used when `tlbEntries` is not given. */
  softTlbEntries?: number;
}

/** The CSRs an `LA64Mmu` holds, as it reads them back (64-bit ones as bigints). */
export interface LA64MmuRegisters {
  /** CRMD. */
  readonly crmd: number;
  /** PGDL (bits 11:0 read 0). */
  readonly pgdl: bigint;
  /** PGDH (bits 11:0 read 0). */
  readonly pgdh: bigint;
  /** PWCL. */
  readonly pwcl: number;
  /** PWCH. */
  readonly pwch: number;
  /** ASID.ASID. */
  readonly asid: number;
  /** DMW0..3. */
  readonly dmw: readonly [bigint, bigint, bigint, bigint];
  /** STLBPS.PS. */
  readonly stlbps: number;
  /** MISC. */
  readonly misc: number;
}

const TWO32 = 4294967296;
const CRMD_DA = 1 << 3;

function checkWidth(name: string, v: number | undefined): number {
  const x = v ?? 48;
  if (!Number.isInteger(x) || x < 33 || x > 48)
    throw new RangeError(`loongarch64: ${name} must be an integer in 33..48, got ${x}`);
  return x;
}

function big(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function unsupported(layout: string): RangeError {
  return new RangeError(`loongarch64: unsupported page-walk layout: ${layout}`);
}

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
export class LA64Mmu implements EmulatorMmu<LA64Fault> {
  /** The guest's physical memory. */
  readonly mem: PhysMemory;
  /** PALEN. */
  readonly palen: number;
  /** VALEN. */
  readonly valen: number;
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

  private cfg: LA64MmuConfig;
  private readonly tlb: La64Tlb;
  private readonly soft: SoftTlb;
  private readonly ops: LA64TlbInstructions;
  private readonly walk: LA64RefillWalk;
  private readonly paHiMask: number;
  private readonly legalShift: number;
  // The last successful translation: its permission word, or the flags of a direct one (-1: through the TLB).
  private lastPerm = 0;
  private lastDirect = -1;
  // The PA of a miss comes back in a field: a PA above 2^31 returned from a call is a heap number, allocated per miss.
  private missPa = 0;

  /** Builds the MMU from the CPU's CSRs; throws `RangeError` for a value out of range or a walk layout it does not support. */
  constructor(mem: PhysMemory, options: LA64MmuOptions = {}) {
    this.mem = mem;
    this.palen = checkWidth('palen', options.palen);
    this.valen = checkWidth('valen', options.valen);
    this.paHiMask = 2 ** (this.palen - 32) - 1;
    this.legalShift = this.valen - 33;
    this.ptw = options.ptw ?? true;
    this.tlb = new La64Tlb(options, this.palen);
    this.soft = createSoftTlb(options.tlbEntries ?? options.softTlbEntries ?? 1024, 'loongarch64 MMU');
    this.ops = new LA64TlbInstructions(this.tlb, this.soft, this.valen);
    this.walk = new LA64RefillWalk(mem, this.palen);
    const pwcl = reg64(options.pwcl ?? PWCL_4LEVEL, 'pwcl')[1];
    const pwch = reg64(options.pwch ?? PWCH_4LEVEL, 'pwch')[1];
    const layout = layoutProblem(pwcl, pwch);
    if (typeof layout === 'string') throw unsupported(layout);
    this.tlb.stlbps = options.stlbps === undefined ? layout.ptBase : reg64(options.stlbps, 'stlbps')[1] & 0x3f;
    const crmd = reg64(options.crmd ?? CRMD_DA, 'crmd')[1];
    const [pgdlHi, pgdlLo] = reg64(options.pgdl ?? 0, 'pgdl');
    const [pgdhHi, pgdhLo] = reg64(options.pgdh ?? 0, 'pgdh');
    const asid = reg64(options.asid ?? 0, 'asid')[1] & 0x3ff;
    const dmw = [options.dmw0, options.dmw1, options.dmw2, options.dmw3].map((x, n) => reg64(x ?? 0, `dmw${n}`));
    const misc = reg64(options.misc ?? 0, 'misc')[1];
    this.cfg = decodeLA64Config({
      crmd,
      pgdlHi,
      pgdlLo: (pgdlLo & 0xffff_f000) >>> 0,
      pgdhHi,
      pgdhLo: (pgdhLo & 0xffff_f000) >>> 0,
      pwcl,
      pwch,
      asid,
      dmwHi: dmw.map((h) => h[0]),
      dmwLo: dmw.map((h) => h[1]),
      misc,
    });
  }

  // ------------------------------------------------------------ registers
  // Each setter is the guest's CSRWR of that register, with its TLB effects; the configuration is rebuilt.
  // Values are 64-bit (a negative number or bigint is taken as two's complement); anything else throws `RangeError`.

  private write(patch: Partial<LA64RawRegisters>): void {
    this.cfg = decodeLA64Config({ ...this.cfg.raw, ...patch }, this.cfg);
  }

  /** CRMD: PLV (1:0), DA (3), PG (4), DATF (6:5), DATM (8:7). */
  get crmd(): number {
    return this.cfg.raw.crmd;
  }
  /** CRMD written: PLV, DA/PG and DATF/DATM take effect at once; nothing is flushed (the manual does not flush either, and TLB hits re-check the PLV). */
  set crmd(value: AddrLike) {
    this.write({ crmd: reg64(value, 'crmd')[1] });
  }

  /** PGDL, the root for VAs with bit 63 = 0 (bits 11:0 read 0). */
  get pgdl(): bigint {
    return big(this.cfg.raw.pgdlHi, this.cfg.raw.pgdlLo);
  }
  /** PGDL written: used by the next refill walk; nothing is flushed (TLB entries already filled stay until INVTLB). */
  set pgdl(value: AddrLike) {
    const [hi, lo] = reg64(value, 'pgdl');
    this.write({ pgdlHi: hi, pgdlLo: (lo & 0xffff_f000) >>> 0 });
  }

  /** PGDH, the root for VAs with bit 63 = 1 (bits 11:0 read 0). */
  get pgdh(): bigint {
    return big(this.cfg.raw.pgdhHi, this.cfg.raw.pgdhLo);
  }
  /** PGDH written: as {@link pgdl}, nothing is flushed. */
  set pgdh(value: AddrLike) {
    const [hi, lo] = reg64(value, 'pgdh');
    this.write({ pgdhHi: hi, pgdhLo: (lo & 0xffff_f000) >>> 0 });
  }

  /** PWCL: PTbase, PTwidth, Dir1/Dir2 base and width, PTEWidth. */
  get pwcl(): number {
    return this.cfg.raw.pwcl;
  }
  /**
   * PWCL written; nothing is flushed. Any value is accepted, as by the CSR
   * (a guest writes PWCL and PWCH one at a time); if the pair is a layout
   * this model cannot walk (see `la64WalkLayout`), the next walk, LDDIR or
   * LDPTE throws a `RangeError` saying why. {@link setPwc} checks at once.
   */
  set pwcl(value: AddrLike) {
    this.write({ pwcl: reg64(value, 'pwcl')[1] });
  }

  /** PWCH: Dir3/Dir4 base and width. */
  get pwch(): number {
    return this.cfg.raw.pwch;
  }
  /** PWCH written; as {@link pwcl}, nothing is flushed and the layout is checked by the next walk. */
  set pwch(value: AddrLike) {
    this.write({ pwch: reg64(value, 'pwch')[1] });
  }

  /** PWCL and PWCH together; throws `RangeError` (changing nothing) for a layout this model cannot walk. Nothing is flushed. */
  setPwc(pwcl: AddrLike, pwch: AddrLike): void {
    const l = reg64(pwcl, 'pwcl')[1];
    const h = reg64(pwch, 'pwch')[1];
    const layout = layoutProblem(l, h);
    if (typeof layout === 'string') throw unsupported(layout);
    this.write({ pwcl: l, pwch: h });
  }

  /** ASID.ASID (bits 9:0): the current address space. */
  get asid(): number {
    return this.cfg.asid;
  }
  /** ASID written: bits 9:0 select the address space; TLB entries are ASID-tagged, so nothing is flushed. */
  set asid(value: AddrLike) {
    this.write({ asid: reg64(value, 'asid')[1] & 0x3ff });
  }

  /** DMW0: PLV0..3 enables (3:0), MAT (5:4), VSEG (63:60); a window for fetches and data. */
  get dmw0(): bigint {
    return this.readDmw(0);
  }
  /** DMW0 written: takes effect at once; windows are not cached in the TLB, so nothing is flushed. */
  set dmw0(value: AddrLike) {
    this.writeDmw(0, value);
  }

  /** DMW1: as {@link dmw0}. */
  get dmw1(): bigint {
    return this.readDmw(1);
  }
  /** DMW1 written: as {@link dmw0}, nothing is flushed. */
  set dmw1(value: AddrLike) {
    this.writeDmw(1, value);
  }

  /** DMW2: as {@link dmw0}, for data accesses only. */
  get dmw2(): bigint {
    return this.readDmw(2);
  }
  /** DMW2 written: as {@link dmw0}, nothing is flushed. */
  set dmw2(value: AddrLike) {
    this.writeDmw(2, value);
  }

  /** DMW3: as {@link dmw2}. */
  get dmw3(): bigint {
    return this.readDmw(3);
  }
  /** DMW3 written: as {@link dmw0}, nothing is flushed. */
  set dmw3(value: AddrLike) {
    this.writeDmw(3, value);
  }

  private readDmw(n: number): bigint {
    return big(this.cfg.raw.dmwHi[n], this.cfg.raw.dmwLo[n]);
  }

  private writeDmw(n: number, value: AddrLike): void {
    const [hi, lo] = reg64(value, `dmw${n}`);
    const raw = this.cfg.raw;
    this.write({
      dmwHi: raw.dmwHi.map((x, i) => (i === n ? hi : x)),
      dmwLo: raw.dmwLo.map((x, i) => (i === n ? lo : x)),
    });
  }

  /** STLBPS.PS (5:0): the page size of the STLB. */
  get stlbps(): number {
    return this.tlb.stlbps;
  }
  /**
   * STLBPS written. A new page size invalidates the whole STLB and the
   * software TLB (STLB entries were placed for the old size; the manual
   * expects software to flush it); the same size flushes nothing.
   */
  set stlbps(value: AddrLike) {
    this.ops.setStlbps(reg64(value, 'stlbps')[1] & 0x3f);
  }

  /** MISC: DWPL0..2 (bits 16..18) disable the D-bit store check at PLV0..2. */
  get misc(): number {
    return this.cfg.raw.misc;
  }
  /** MISC written: DWPL0..2 take effect at once (TLB hits re-check them), so nothing is flushed. */
  set misc(value: AddrLike) {
    this.write({ misc: reg64(value, 'misc')[1] });
  }

  /** The CSRs as the MMU holds them. */
  get registers(): LA64MmuRegisters {
    const r = this.cfg.raw;
    const dmw = [0, 1, 2, 3].map((i) => big(r.dmwHi[i], r.dmwLo[i]));
    return {
      crmd: r.crmd,
      pgdl: this.pgdl,
      pgdh: this.pgdh,
      pwcl: r.pwcl,
      pwch: r.pwch,
      asid: r.asid,
      dmw: dmw as unknown as readonly [bigint, bigint, bigint, bigint],
      stlbps: this.tlb.stlbps,
      misc: r.misc,
    };
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
    if (slot < 0) return this.miss(hi, lo, access) < 0 ? -1 : this.missPa;
    this.stats.hits++;
    const perm = this.soft.perm(slot);
    const code = cfg.rights.codes[access * 512 + (perm & 511)];
    if (code !== 0) return this.fail(hi, lo, code, 0, false);
    this.lastPerm = perm;
    this.lastDirect = -1;
    return this.soft.frameOf(slot) * 4096 + (lo & 0xfff);
  }

  /** A software-TLB miss: the TLB (refilled when `ptw`), then the checks. 0 with the PA in `missPa`, or -1 (the fault recorded). */
  private miss(hi: number, lo: number, access: Access): number {
    const cfg = this.cfg;
    const t = this.tlb;
    const va48 = this.ops.va48(hi, lo);
    let i = t.find(va48, cfg.asid);
    if (i < 0) {
      this.stats.misses++;
      if (!this.ptw) return this.fail(hi, lo, LA64Ecode.PIL + access, 0, true);
      const w = this.walk;
      w.walker.reset();
      w.run(cfg, layoutOrThrow(cfg), hi, lo);
      i = this.ops.refillSlot(va48, w.ps);
      w.fill(t, i, va48, cfg.asid);
    } else {
      this.stats.hits++;
    }
    const w = this.walk;
    w.page(t, i, hi, lo);
    this.soft.insert(hi, lo, t.asid[i], t.g[i] !== 0, w.frame, softLevel(t.ps[i]), w.perm);
    const perm = w.perm;
    const code = cfg.rights.codes[access * 512 + (perm & 511)];
    if (code !== 0) return this.fail(hi, lo, code, 0, false);
    this.lastPerm = perm;
    this.lastDirect = -1;
    this.missPa = w.frame * 4096 + (lo & 0xfff);
    return 0;
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

  /** CSR.PGD for a refill of `badv`: PGDH when its bit 63 is 1, else PGDL. */
  pgd(badv: AddrLike): bigint {
    return reg64(badv, 'badv')[0] >>> 31 ? this.pgdh : this.pgdl;
  }

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
    w.lddir(layout, rh, rl, level, vh, vl);
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
    w.ldpte(layout, rh, rl, seq & 1, vh, vl);
    return { elo: big(w.outHi, w.outLo), ps: w.outPs };
  }
}
