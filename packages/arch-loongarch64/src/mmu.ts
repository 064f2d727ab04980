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
  type DebugTranslation,
  type EmulatorMmu,
  halvesValue,
  MappingFlags,
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
  type WalkStep,
} from '@page-table/core';
import { type AddrLike, fromHalves, type PhysAddr, toAddrValue, type VirtAddr } from '@page-table/memory-addr';
import { LA64AdeSubcode, LA64Ecode, type LA64Fault, la64Fault } from './fault.js';
import { describeLA64Fault, LA64_MMU_INFO } from './mmu-report.js';
import { type LA64WalkLayout, layoutProblem, RefillWalker, reg64 } from './refill.js';
import { PWCH_4LEVEL, PWCL_4LEVEL } from './registers.js';
import { type LA64TlbEntry, type LA64TlbEntryInfo, type LA64TlbGeometry, La64Tlb, pow2, ppnFrameOf } from './tlb.js';

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

/** How a debug translation was (or would be) made. */
export type LA64TranslationPath = 'direct' | 'dmw' | 'address-error' | 'tlb' | 'walk' | 'refill';

/**
 * `debugTranslate`'s report. `steps` are the loads of the refill walk over
 * the current tables (LDDIR per directory level, then LDPTE's even and odd
 * PTE), made whenever the VA goes through the TLB — also on a TLB hit,
 * where comparing them with `entry` shows a stale entry.
 */
export interface LA64DebugTranslation extends DebugTranslation<LA64Fault> {
  /** `direct` (CRMD.DA), `dmw` (a window), `address-error` (ADE), `tlb` (an entry already in the TLB), `walk` (a refill by the MMU would fill it), `refill` (TLB miss with `ptw: false`). */
  readonly path: LA64TranslationPath;
  /** The window that matched, for `path: 'dmw'`. */
  readonly dmw?: number;
  /** The TLB entry that translates (for `walk`: the one the refill would write, `index` -1). */
  readonly entry?: LA64TlbEntryInfo;
  /** Permissions of the page the VA falls in (the matched half), whatever the access's outcome. */
  readonly perms?: MappingFlags;
}

const TWO32 = 4294967296;
const READ = Access.Read;
const WRITE = Access.Write;
const EXECUTE = Access.Execute;

// The permission word cached per page: the TLB half's V D PLV MAT (bits 0-5), NR NX RPLV (6-8), log2 of the size (9-14).
const P_V = 1;
const P_D = 2;
const P_NR = 1 << 6;
const P_NX = 1 << 7;
const P_RPLV = 1 << 8;

const CRMD_DA = 1 << 3;
const CRMD_PG = 1 << 4;

function matFlags(mat: number): MappingFlags {
  return mat === 0 ? MappingFlags.DEVICE : mat === 2 ? MappingFlags.UNCACHED : 0;
}

/**
 * SoftTlb level of the 4 KiB pages cached from an entry of page size 2^ps:
 * the smallest whose block (2^(12+9·level)) holds the whole pair, so that one
 * `flushVa` drops them all; 0 for a 4 KiB pair (two `flushVa`s).
 */
function softLevel(ps: number): number {
  return ps === 12 ? 0 : Math.ceil((ps + 1 - 12) / 9);
}

function checkWidth(name: string, v: number | undefined): number {
  const x = v ?? 48;
  if (!Number.isInteger(x) || x < 33 || x > 48)
    throw new RangeError(`loongarch64: ${name} must be an integer in 33..48, got ${x}`);
  return x;
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

  private crmdValue = CRMD_DA;
  private plv = 0;
  private direct = true;
  private readonly directFlags = new Int32Array(3);
  private pgdlHi = 0;
  private pgdlLo = 0;
  private pgdhHi = 0;
  private pgdhLo = 0;
  private pwclValue = PWCL_4LEVEL;
  private pwchValue = PWCH_4LEVEL;
  private layout: LA64WalkLayout | string;
  private asidValue = 0;
  private readonly dmwHi = new Uint32Array(4);
  private readonly dmwLo = new Uint32Array(4);
  private readonly dmwVseg = new Int32Array(4);
  private readonly dmwPlv = new Uint8Array(4);
  private readonly dmwFlags = new Int32Array(4);
  private dmwOn = false;
  private miscValue = 0;

  private readonly tlb: La64Tlb;
  private readonly soft: SoftTlb;
  private readonly walker: RefillWalker;
  private readonly vaHiMask: number;
  private readonly paHiMask: number;
  private readonly legalShift: number;

  // Result of the slow path and of the last successful translation.
  private sPerm = 0;
  private sFrame = 0;
  private lastPerm = 0;
  private lastDirect = -1;
  private lastSizeLog2 = 0;

  /** Builds the MMU from the CPU's CSRs; throws `RangeError` for a value out of range or a walk layout it does not support. */
  constructor(mem: PhysMemory, options: LA64MmuOptions = {}) {
    this.mem = mem;
    this.palen = checkWidth('palen', options.palen);
    this.valen = checkWidth('valen', options.valen);
    this.vaHiMask = 2 ** (this.valen - 32) - 1;
    this.paHiMask = 2 ** (this.palen - 32) - 1;
    this.legalShift = this.valen - 33;
    this.ptw = options.ptw ?? true;
    this.tlb = new La64Tlb(options, this.palen);
    this.soft = createSoftTlb(options.tlbEntries ?? options.softTlbEntries ?? 1024, 'loongarch64 MMU');
    this.walker = new RefillWalker(mem, this.palen);
    this.pwclValue = reg64(options.pwcl ?? PWCL_4LEVEL, 'pwcl')[1];
    this.pwchValue = reg64(options.pwch ?? PWCH_4LEVEL, 'pwch')[1];
    this.layout = layoutProblem(this.pwclValue, this.pwchValue);
    if (typeof this.layout === 'string')
      throw new RangeError(`loongarch64: unsupported page-walk layout: ${this.layout}`);
    this.tlb.stlbps = options.stlbps === undefined ? this.layout.ptBase : reg64(options.stlbps, 'stlbps')[1] & 0x3f;
    this.crmd = options.crmd ?? CRMD_DA;
    this.pgdl = options.pgdl ?? 0;
    this.pgdh = options.pgdh ?? 0;
    this.asid = options.asid ?? 0;
    this.writeDmw(0, options.dmw0 ?? 0);
    this.writeDmw(1, options.dmw1 ?? 0);
    this.writeDmw(2, options.dmw2 ?? 0);
    this.writeDmw(3, options.dmw3 ?? 0);
    this.misc = options.misc ?? 0;
  }

  // ------------------------------------------------------------ registers
  // Each setter is the guest's CSRWR of that register, with its TLB effects.
  // Values are 64-bit (a negative number or bigint is taken as two's complement); anything else throws `RangeError`.

  /** CRMD: PLV (1:0), DA (3), PG (4), DATF (6:5), DATM (8:7). */
  get crmd(): number {
    return this.crmdValue;
  }
  /** CRMD written: PLV, DA/PG and DATF/DATM take effect at once; nothing is flushed (the manual does not flush either, and TLB hits re-check the PLV). */
  set crmd(value: AddrLike) {
    const v = reg64(value, 'crmd')[1];
    this.crmdValue = v;
    this.plv = v & 3;
    // DA=1, PG=0 is direct translation; the combinations the manual leaves undefined are treated as mapped (as QEMU).
    this.direct = (v & CRMD_DA) !== 0 && (v & CRMD_PG) === 0;
    const rw = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE;
    const datf = (v >>> 5) & 3;
    const datm = (v >>> 7) & 3;
    this.directFlags[READ] = rw | matFlags(datm);
    this.directFlags[WRITE] = rw | matFlags(datm);
    this.directFlags[EXECUTE] = rw | matFlags(datf);
  }

  /** PGDL, the root for VAs with bit 63 = 0 (bits 11:0 read 0). */
  get pgdl(): bigint {
    return (BigInt(this.pgdlHi >>> 0) << 32n) | BigInt(this.pgdlLo >>> 0);
  }
  /** PGDL written: used by the next refill walk; nothing is flushed (TLB entries already filled stay until INVTLB). */
  set pgdl(value: AddrLike) {
    const [hi, lo] = reg64(value, 'pgdl');
    this.pgdlHi = hi;
    this.pgdlLo = (lo & 0xffff_f000) >>> 0;
  }

  /** PGDH, the root for VAs with bit 63 = 1 (bits 11:0 read 0). */
  get pgdh(): bigint {
    return (BigInt(this.pgdhHi >>> 0) << 32n) | BigInt(this.pgdhLo >>> 0);
  }
  /** PGDH written: as {@link pgdl}, nothing is flushed. */
  set pgdh(value: AddrLike) {
    const [hi, lo] = reg64(value, 'pgdh');
    this.pgdhHi = hi;
    this.pgdhLo = (lo & 0xffff_f000) >>> 0;
  }

  /** PWCL: PTbase, PTwidth, Dir1/Dir2 base and width, PTEWidth. */
  get pwcl(): number {
    return this.pwclValue;
  }
  /**
   * PWCL written; nothing is flushed. Any value is accepted, as by the CSR
   * (a guest writes PWCL and PWCH one at a time); if the pair is a layout
   * this model cannot walk (see `la64WalkLayout`), the next walk, LDDIR or
   * LDPTE throws a `RangeError` saying why. {@link setPwc} checks at once.
   */
  set pwcl(value: AddrLike) {
    this.pwclValue = reg64(value, 'pwcl')[1];
    this.layout = layoutProblem(this.pwclValue, this.pwchValue);
  }

  /** PWCH: Dir3/Dir4 base and width. */
  get pwch(): number {
    return this.pwchValue;
  }
  /** PWCH written; as {@link pwcl}, nothing is flushed and the layout is checked by the next walk. */
  set pwch(value: AddrLike) {
    this.pwchValue = reg64(value, 'pwch')[1];
    this.layout = layoutProblem(this.pwclValue, this.pwchValue);
  }

  /** PWCL and PWCH together; throws `RangeError` (changing nothing) for a layout this model cannot walk. Nothing is flushed. */
  setPwc(pwcl: AddrLike, pwch: AddrLike): void {
    const l = reg64(pwcl, 'pwcl')[1];
    const h = reg64(pwch, 'pwch')[1];
    const layout = layoutProblem(l, h);
    if (typeof layout === 'string') throw new RangeError(`loongarch64: unsupported page-walk layout: ${layout}`);
    this.pwclValue = l;
    this.pwchValue = h;
    this.layout = layout;
  }

  /** ASID.ASID (bits 9:0): the current address space. */
  get asid(): number {
    return this.asidValue;
  }
  /** ASID written: bits 9:0 select the address space; TLB entries are ASID-tagged, so nothing is flushed. */
  set asid(value: AddrLike) {
    this.asidValue = reg64(value, 'asid')[1] & 0x3ff;
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
    const ps = reg64(value, 'stlbps')[1] & 0x3f;
    if (ps === this.tlb.stlbps) return;
    this.tlb.stlbps = ps;
    this.tlb.e.fill(0, 0, this.tlb.mtlbStart);
    this.soft.flushAll();
  }

  /** MISC: DWPL0..2 (bits 16..18) disable the D-bit store check at PLV0..2. */
  get misc(): number {
    return this.miscValue;
  }
  /** MISC written: DWPL0..2 take effect at once (TLB hits re-check them), so nothing is flushed. */
  set misc(value: AddrLike) {
    this.miscValue = reg64(value, 'misc')[1];
  }

  /** The CSRs as the MMU holds them. */
  get registers(): LA64MmuRegisters {
    const big = (hi: number, lo: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    return {
      crmd: this.crmdValue,
      pgdl: this.pgdl,
      pgdh: this.pgdh,
      pwcl: this.pwclValue,
      pwch: this.pwchValue,
      asid: this.asidValue,
      dmw: [0, 1, 2, 3].map((i) => big(this.dmwHi[i], this.dmwLo[i])) as unknown as readonly [
        bigint,
        bigint,
        bigint,
        bigint,
      ],
      stlbps: this.tlb.stlbps,
      misc: this.miscValue,
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
    if (this.direct) {
      this.lastDirect = this.directFlags[access];
      this.lastSizeLog2 = this.palen;
      return (hi & this.paHiMask) * TWO32 + lo;
    }
    // The window search is a call: under 460 bytes of bytecode this method is inlined, and its PA is not boxed as a heap number.
    const dmw = this.dmwOn ? this.dmwIndex(hi, access) : -1;
    if (dmw >= 0) {
      this.lastDirect = this.dmwFlags[dmw];
      this.lastSizeLog2 = this.palen;
      return (hi & this.paHiMask) * TWO32 + lo;
    }
    const top = (hi | 0) >> this.legalShift;
    if (top !== 0 && top !== -1) {
      return this.fail(hi, lo, LA64Ecode.ADE, access === EXECUTE ? LA64AdeSubcode.ADEF : LA64AdeSubcode.ADEM, false);
    }
    const slot = this.soft.lookup(hi, lo, this.asidValue);
    // The PA of a miss comes back in a field: a PA above 2^31 returned from a call is a heap number, allocated per miss.
    if (slot < 0) return this.miss(hi, lo, access) < 0 ? -1 : this.missPa;
    this.stats.hits++;
    const perm = this.soft.perm(slot);
    const code = this.check(perm, access);
    if (code !== 0) return this.fail(hi, lo, code, 0, false);
    this.lastPerm = perm;
    this.lastDirect = -1;
    return this.soft.frameOf(slot) * 4096 + (lo & 0xfff);
  }

  /** The direct-mapped window that translates VA[63:32] `hi` for `access` at the current PLV, or -1. */
  private dmwIndex(hi: number, access: Access): number {
    const seg = hi >>> 28;
    const bit = 1 << this.plv;
    const n = access === EXECUTE ? 2 : 4;
    for (let i = 0; i < n; i++) if ((this.dmwPlv[i] & bit) !== 0 && this.dmwVseg[i] === seg) return i;
    return -1;
  }

  /** The PA found by the last successful {@link miss}. */
  private missPa = 0;

  /** A software-TLB miss: the TLB (refilled when `ptw`), then the checks. 0 with the PA in `missPa`, or -1 (the fault recorded). */
  private miss(hi: number, lo: number, access: Access): number {
    if (!this.slow(hi, lo)) return this.fail(hi, lo, LA64Ecode.PIL + access, 0, true);
    const perm = this.sPerm;
    const code = this.check(perm, access);
    if (code !== 0) return this.fail(hi, lo, code, 0, false);
    this.lastPerm = perm;
    this.lastDirect = -1;
    this.missPa = this.sFrame * 4096 + (lo & 0xfff);
    return 0;
  }

  /** The fault of the last faulting translation, as a record (allocates). */
  get lastFault(): LA64Fault | undefined {
    if (this.faultEcode === 0) return undefined;
    return la64Fault(this.faultEcode, this.faultEsubcode, fromHalves(this.faultVaHi, this.faultVaLo), this.faultRefill);
  }

  /** Effective permissions of the last successful translation. */
  get lastFlags(): MappingFlags {
    return this.lastDirect >= 0 ? this.lastDirect : this.permFlags(this.lastPerm);
  }

  /** Size reported for the last successful translation (see {@link translate}). */
  get lastSize(): number {
    return pow2(this.lastDirect >= 0 ? this.lastSizeLog2 : (this.lastPerm >>> 9) & 63);
  }

  /**
   * The same translation with no side effect at all (RAM, TLB and counters
   * untouched): how the VA is translated, the refill walk's loads over the
   * current tables, the TLB entry used (or the one a refill would write),
   * the page's permissions, and the result `translate` would return.
   */
  debugTranslate(va: AddrLike, access: Access = Access.Read): LA64DebugTranslation {
    return sharedReport(this.debugReport(va, access));
  }

  private debugReport(va: AddrLike, access: Access): LA64DebugTranslation {
    checkAccess(access);
    const [hi, lo] = vaHalves(va, 'loongarch64 MMU');
    const v = halvesValue(hi, lo) as VirtAddr;
    const linear = (hi & this.paHiMask) * TWO32 + lo;
    const none = { access, updates: [] as const };
    if (this.direct) {
      const flags = this.directFlags[access];
      const size = pow2(this.palen);
      return {
        va: v,
        ...none,
        steps: [],
        path: 'direct',
        perms: flags,
        permissions: flags,
        leafSize: size,
        result: { paddr: linear as PhysAddr, size, flags },
      };
    }
    if (this.dmwOn) {
      const bit = 1 << this.plv;
      const n = access === EXECUTE ? 2 : 4;
      for (let i = 0; i < n; i++) {
        if ((this.dmwPlv[i] & bit) !== 0 && this.dmwVseg[i] === hi >>> 28) {
          const flags = this.dmwFlags[i];
          const size = pow2(this.palen);
          return {
            va: v,
            ...none,
            steps: [],
            path: 'dmw',
            dmw: i,
            perms: flags,
            permissions: flags,
            leafSize: size,
            result: { paddr: linear as PhysAddr, size, flags },
          };
        }
      }
    }
    const top = (hi | 0) >> this.legalShift;
    if (top !== 0 && top !== -1) {
      const fault = la64Fault(LA64Ecode.ADE, access === EXECUTE ? LA64AdeSubcode.ADEF : LA64AdeSubcode.ADEM, v);
      return {
        va: v,
        ...none,
        steps: [],
        path: 'address-error',
        result: { fault },
        stopLevel: -1,
        stopReason: 'address-error',
        stop: `${fault.name}: bits 63..${this.valen - 1} of the VA are not all equal and no direct-mapped window matches`,
      };
    }
    // The refill walk over the current tables, recorded.
    const steps: WalkStep[] = [];
    const layout = this.layout;
    let walkNote: string;
    let walked = false;
    if (typeof layout === 'string') {
      walkNote = `no walk: unsupported layout (${layout})`;
    } else {
      this.walker.reset(steps);
      try {
        this.walk(layout, hi, lo);
      } finally {
        this.walker.steps = undefined;
      }
      walked = true;
      walkNote = this.describeWalk(layout, steps);
    }
    const va48 = (hi & this.vaHiMask) * TWO32 + lo;
    let index = this.tlb.find(va48, this.asidValue);
    let path: LA64TranslationPath = 'tlb';
    let stop: string;
    if (index >= 0) {
      stop = `TLB entry ${index} matches (the tables now: ${walkNote})`;
    } else if (!this.ptw || !walked) {
      const fault = la64Fault(LA64Ecode.PIL + access, 0, v, true);
      const why = this.ptw
        ? walkNote
        : `TLB miss and ptw is off: the guest's refill handler runs (the walk a Linux handler makes: ${walkNote})`;
      return {
        va: v,
        ...none,
        steps,
        path: 'refill',
        result: { fault },
        stopLevel: steps.at(-1)?.level ?? -1,
        stopReason: 'refill',
        stop: why,
      };
    } else {
      // What the refill would write, in the TLB's scratch slot (not architecturally visible).
      const w = this.walker;
      index = this.tlb.scratch;
      this.tlb.write(
        index,
        va48,
        this.walkPs,
        this.asidValue,
        this.walkLo0,
        this.walkHi0,
        w.outLo,
        w.outHi,
        false,
        this.walkSize,
      );
      path = 'walk';
      stop = `TLB miss: the refill loads ${walkNote}`;
    }
    this.derive(index, hi, lo, false);
    const perm = this.sPerm;
    const entry = this.entryInfo(index);
    const perms = this.permFlags(perm);
    // A V = 0 half is no page: it has no permissions and no size.
    const page = (perm & P_V) !== 0 ? { permissions: perms, leafSize: pow2((perm >>> 9) & 63) } : {};
    const code = this.check(perm, access);
    if (code !== 0) {
      const fault = la64Fault(code, 0, v);
      const at = { stopLevel: steps.at(-1)?.level ?? -1, stopReason: fault.name };
      return {
        va: v,
        ...none,
        steps,
        path,
        entry,
        perms,
        ...page,
        result: { fault },
        ...at,
        stop: `${stop}; ${fault.name}: ${this.faultReason(code, perm)}`,
      };
    }
    const paddr = (this.sFrame * 4096 + (lo & 0xfff)) as PhysAddr;
    return {
      va: v,
      ...none,
      steps,
      path,
      entry,
      perms,
      ...page,
      result: { paddr, size: pow2((perm >>> 9) & 63), flags: perms },
      stop,
    };
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
    const t = this.tlb;
    if (op <= 4) {
      for (let i = 0; i < t.size; i++) {
        if (t.e[i] === 0) continue;
        const g = t.g[i] !== 0;
        if (op <= 1 || (op === 2 && g) || (op === 3 && !g) || (op === 4 && !g && t.asid[i] === a)) t.e[i] = 0;
      }
      if (op === 3) this.soft.flushNonGlobal();
      else if (op === 4) this.soft.flushNonGlobal(a);
      else this.soft.flushAll();
      return true;
    }
    const [hi, lo] = reg64(va, 'va');
    const va48 = (hi & this.vaHiMask) * TWO32 + lo;
    for (let i = 0; i < t.size; i++) {
      if (t.e[i] === 0 || Math.floor(va48 / pow2(t.ps[i] + 1)) !== t.vpn2[i]) continue;
      const g = t.g[i] !== 0;
      if (op === 5 ? !g && t.asid[i] === a : g || t.asid[i] === a) this.drop(i);
    }
    return true;
  }

  /**
   * TLBFILL: writes `entry` to the STLB (when its PS equals STLBPS) or the
   * MTLB, into an empty slot or else the next one round-robin (the hardware
   * picks at random). Returns the index used. Throws `RangeError` for a PS
   * outside 12..VALEN-1.
   */
  tlbfill(entry: LA64TlbEntry): number {
    const e = this.checkEntry(entry);
    const i = this.tlb.victim(e.va48, e.ps);
    this.store(i, e, false);
    return i;
  }

  /**
   * TLBWR: writes `entry` at `index` (TLBIDX.Index), E = 0 when `entry.ne`.
   * An STLB slot takes PS = STLBPS whatever `entry.ps` says (as QEMU; the
   * manual requires them equal). Throws `RangeError` for an index out of range.
   */
  tlbwr(index: number, entry: LA64TlbEntry): void {
    this.checkIndex(index);
    const e = this.checkEntry(entry);
    if (index < this.tlb.mtlbStart) e.ps = this.tlb.stlbps;
    this.store(index, e, entry.ne === true);
  }

  /** TLBRD: the entry at `index`, or `undefined` when it does not exist (E = 0: TLBIDX.NE = 1). */
  tlbrd(index: number): LA64TlbEntryInfo | undefined {
    this.checkIndex(index);
    return this.tlb.e[index] === 0 ? undefined : this.entryInfo(index);
  }

  /** TLBSRCH: the index of the entry matching `ehi` (TLBEHI's VA) for `asid` (default the current ASID), or -1 (TLBIDX.NE = 1). */
  tlbsrch(ehi: AddrLike, asid?: number): number {
    const [hi, lo] = reg64(ehi, 'ehi');
    const a = asid === undefined ? this.asidValue : asid & 0x3ff;
    return this.tlb.find((hi & this.vaHiMask) * TWO32 + lo, a);
  }

  /**
   * TLBCLR with TLBIDX.Index = `index`: invalidates the G=0 entries of the
   * current ASID in the STLB set `index` falls in, or in the whole MTLB.
   */
  tlbclr(index: number): void {
    this.clearRange(index, true);
  }

  /** TLBFLUSH with TLBIDX.Index = `index`: invalidates every entry of the STLB set `index` falls in, or of the whole MTLB. */
  tlbflush(index: number): void {
    this.clearRange(index, false);
  }

  /** Entries of the architectural TLB (valid TLBIDX.Index values are 0 .. tlbSize-1). */
  get tlbSize(): number {
    return this.tlb.size;
  }

  // ------------------------------------------------- page-walk instructions

  /** CSR.PGD for a refill of `badv`: PGDH when its bit 63 is 1, else PGDL. */
  pgd(badv: AddrLike): bigint {
    const [hi] = reg64(badv, 'badv');
    const h = hi >>> 31 ? this.pgdhHi : this.pgdlHi;
    const l = hi >>> 31 ? this.pgdhLo : this.pgdlLo;
    return (BigInt(h) << 32n) | BigInt(l);
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
    const layout = this.layoutOrThrow();
    const [rh, rl] = reg64(rj, 'rj');
    const [vh, vl] = reg64(badv, 'badv');
    this.walker.reset();
    this.walker.lddir(layout, rh, rl, level, vh, vl);
    return (BigInt(this.walker.outHi) << 32n) | BigInt(this.walker.outLo);
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
    const layout = this.layoutOrThrow();
    const [rh, rl] = reg64(rj, 'rj');
    const [vh, vl] = reg64(badv, 'badv');
    this.walker.reset();
    this.walker.ldpte(layout, rh, rl, seq & 1, vh, vl);
    return { elo: (BigInt(this.walker.outHi) << 32n) | BigInt(this.walker.outLo), ps: this.walker.outPs };
  }

  // -------------------------------------------------------------- private

  /** DMWn as stored. */
  private readDmw(n: number): bigint {
    return (BigInt(this.dmwHi[n] >>> 0) << 32n) | BigInt(this.dmwLo[n] >>> 0);
  }

  /** DMWn written (n = 0..3): VSEG (63:60), MAT (5:4), PLV0..3 enables (3:0). */
  private writeDmw(n: number, value: AddrLike): void {
    const [hi, lo] = reg64(value, `dmw${n}`);
    this.dmwHi[n] = hi;
    this.dmwLo[n] = lo;
    this.dmwVseg[n] = hi >>> 28;
    this.dmwPlv[n] = lo & 0xf;
    this.dmwFlags[n] =
      MappingFlags.READ |
      MappingFlags.WRITE |
      (n < 2 ? MappingFlags.EXECUTE : 0) |
      (lo & 8 ? MappingFlags.USER : 0) |
      matFlags((lo >>> 4) & 3);
    this.dmwOn = (this.dmwPlv[0] | this.dmwPlv[1] | this.dmwPlv[2] | this.dmwPlv[3]) !== 0;
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

  /** The manual's check order: V, NX, PLV/RPLV, NR, D. Returns 0 or the Ecode. */
  private check(perm: number, access: Access): number {
    if ((perm & P_V) === 0) return LA64Ecode.PIL + access;
    if (access === EXECUTE && (perm & P_NX) !== 0) return LA64Ecode.PNX;
    const eplv = (perm >>> 2) & 3;
    if ((perm & P_RPLV) !== 0 ? this.plv !== eplv : this.plv > eplv) return LA64Ecode.PPI;
    if (access === READ && (perm & P_NR) !== 0) return LA64Ecode.PNR;
    if (
      access === WRITE &&
      (perm & P_D) === 0 &&
      (this.plv === 3 || ((this.miscValue >>> (16 + this.plv)) & 1) === 0)
    ) {
      return LA64Ecode.PME;
    }
    return 0;
  }

  private faultReason(code: number, perm: number): string {
    const eplv = (perm >>> 2) & 3;
    switch (code) {
      case LA64Ecode.PIL:
      case LA64Ecode.PIS:
      case LA64Ecode.PIF:
        return 'the page is invalid (V=0)';
      case LA64Ecode.PNX:
        return 'fetch from a no-execute page (NX=1)';
      case LA64Ecode.PPI:
        return (perm & P_RPLV) !== 0
          ? `CRMD.PLV=${this.plv} is not the page's PLV ${eplv} (RPLV=1)`
          : `CRMD.PLV=${this.plv} is above the page's PLV ${eplv}`;
      case LA64Ecode.PNR:
        return 'load from a no-read page (NR=1)';
      default:
        return 'store to a page with D=0';
    }
  }

  /** Effective flags of a cached page word at the current PLV and MISC. */
  private permFlags(perm: number): MappingFlags {
    if ((perm & P_V) === 0) return 0;
    const writable = (perm & P_D) !== 0 || (this.plv < 3 && ((this.miscValue >>> (16 + this.plv)) & 1) !== 0);
    return (
      ((perm & P_NR) === 0 ? MappingFlags.READ : 0) |
      (writable ? MappingFlags.WRITE : 0) |
      ((perm & P_NX) === 0 ? MappingFlags.EXECUTE : 0) |
      ((perm & 0xc) === 0xc ? MappingFlags.USER : 0) |
      matFlags((perm >>> 4) & 3)
    );
  }

  /** TLB lookup after a software-TLB miss, refilling by a walk when `ptw`. False: refill exception. */
  private slow(hi: number, lo: number): boolean {
    const va48 = (hi & this.vaHiMask) * TWO32 + lo;
    let i = this.tlb.find(va48, this.asidValue);
    if (i < 0) {
      this.stats.misses++;
      if (!this.ptw) return false;
      this.walker.reset();
      this.walk(this.layoutOrThrow(), hi, lo);
      const w = this.walker;
      i = this.tlb.victim(va48, this.walkPs);
      if (this.tlb.e[i] !== 0) this.dropSoft(i);
      this.tlb.write(
        i,
        va48,
        this.walkPs,
        this.asidValue,
        this.walkLo0,
        this.walkHi0,
        w.outLo,
        w.outHi,
        false,
        this.walkSize,
      );
    } else {
      this.stats.hits++;
    }
    this.derive(i, hi, lo, true);
    return true;
  }

  // The even half and PS of the last walk (the odd half stays in the walker's out registers).
  private walkLo0 = 0;
  private walkHi0 = 0;
  private walkPs = 0;
  private walkSize = 0;

  /** Linux's refill: CSR.PGD, LDDIR at each directory level top first, LDPTE 0 and 1. */
  private walk(layout: LA64WalkLayout, hi: number, lo: number): void {
    const w = this.walker;
    let rh = hi >>> 31 ? this.pgdhHi : this.pgdlHi;
    let rl = hi >>> 31 ? this.pgdhLo : this.pgdlLo;
    const levels = layout.levels;
    for (let k = 0; k < levels.length; k++) {
      w.lddir(layout, rh, rl, levels[k], hi, lo);
      rh = w.outHi;
      rl = w.outLo;
    }
    w.ldpte(layout, rh, rl, 0, hi, lo);
    // A huge entry split in two is one leaf of 2^(PS+1); a PTE pair is two leaves of 2^PS.
    this.walkSize = (rl & 0x40) !== 0 ? w.outPs + 1 : w.outPs;
    this.walkLo0 = w.outLo;
    this.walkHi0 = w.outHi;
    this.walkPs = w.outPs;
    w.ldpte(layout, rh, rl, 1, hi, lo);
  }

  private describeWalk(layout: LA64WalkLayout, steps: readonly WalkStep[]): string {
    const parts: string[] = [];
    for (const s of steps) {
      const name = s.level === 0 ? 'PTE' : `Dir${s.level}`;
      parts.push(`${name}[${s.index}] @0x${s.entryPaddr.toString(16)} = 0x${s.entry.toString(16)}`);
    }
    const last = steps.filter((s) => s.level > 0).at(-1);
    const huge = last !== undefined && (last.entry & 0x40n) !== 0n && steps.every((s) => s.level !== 0);
    let text = parts.join(', ');
    if (huge) {
      text += `; huge entry at Dir${last.level} (bit 6): split into two 2^${this.walkPs}-byte halves`;
    } else if (layout.levels.length === 0 && steps.length === 0) {
      text += 'nothing';
    }
    if (this.walker.unbacked)
      text += `; PA 0x${this.walker.unbackedPa.toString(16)} is not backed by memory (read as 0)`;
    return text;
  }

  /** Computes the cached page word and 4 KiB frame of VA (hi, lo) in TLB entry i; caches it in the software TLB when asked. */
  private derive(i: number, hi: number, lo: number, insert: boolean): void {
    const t = this.tlb;
    const ps = t.ps[i];
    const odd = ps < 32 ? (lo >>> ps) & 1 : (hi >>> (ps - 32)) & 1;
    const hl = odd ? t.lo1[i] : t.lo0[i];
    const hh = odd ? t.hi1[i] : t.hi0[i];
    const perm = (hl & 0x3f) | ((hh >>> 29) << 6) | (t.sizeLog2[i] << 9);
    // The VA's 4 KiB frame within the page, by masks and shifts: `%` on a double beyond int32 is a runtime call.
    const vaFrame = ps < 32 ? (lo & (pow2(ps) - 1)) >>> 12 : ((hi & (pow2(ps - 32) - 1)) >>> 0) * 1048576 + (lo >>> 12);
    const frame = ppnFrameOf(hl, hh, ps) + vaFrame;
    this.sPerm = perm;
    this.sFrame = frame;
    if (insert) {
      this.soft.insert(hi, lo, t.asid[i], t.g[i] !== 0, frame, softLevel(ps), perm);
    }
  }

  /** Invalidates TLB entry i and every software-TLB page cached from it. */
  private drop(i: number): void {
    this.dropSoft(i);
    this.tlb.invalidate(i);
  }

  /** Drops the software-TLB pages cached from entry i (and possibly others nearby: over-flushing is harmless). */
  private dropSoft(i: number): void {
    const t = this.tlb;
    const ps = t.ps[i];
    const level = softLevel(ps);
    const base = t.vpn2[i] * pow2(ps + 1);
    let hi = Math.floor(base / TWO32);
    const lo = base - hi * TWO32; // not `base % TWO32`: a runtime call on a double
    if (hi > this.vaHiMask >>> 1) hi = (hi | ~this.vaHiMask) >>> 0;
    this.soft.flushVa(hi, lo);
    if (level === 0) this.soft.flushVa(hi, lo + 4096);
  }

  private store(i: number, e: CheckedEntry, ne: boolean): void {
    if (this.tlb.e[i] !== 0) this.dropSoft(i);
    this.tlb.write(i, e.va48, e.ps, e.asid, e.lo0, e.hi0, e.lo1, e.hi1, ne);
  }

  private checkEntry(entry: LA64TlbEntry): CheckedEntry {
    const ps = entry.ps;
    if (!Number.isInteger(ps) || ps < 12 || ps > this.valen - 1) {
      throw new RangeError(`loongarch64: TLB entry PS must be an integer in 12..${this.valen - 1}, got ${ps}`);
    }
    const [hi, lo] = reg64(entry.ehi, 'ehi');
    const [hi0, lo0] = reg64(entry.elo0, 'elo0');
    const [hi1, lo1] = reg64(entry.elo1, 'elo1');
    return {
      va48: (hi & this.vaHiMask) * TWO32 + lo,
      ps,
      asid: entry.asid === undefined ? this.asidValue : entry.asid & 0x3ff,
      lo0,
      hi0,
      lo1,
      hi1,
    };
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.tlb.size) {
      throw new RangeError(`loongarch64: TLB index must be an integer in 0..${this.tlb.size - 1}, got ${index}`);
    }
  }

  private clearRange(index: number, onlyCurrentAsid: boolean): void {
    this.checkIndex(index);
    const t = this.tlb;
    const clear = (i: number) => {
      if (t.e[i] !== 0 && (!onlyCurrentAsid || (t.g[i] === 0 && t.asid[i] === this.asidValue))) this.drop(i);
    };
    if (index < t.mtlbStart) {
      const set = index % t.sets;
      for (let w = 0; w < t.ways; w++) clear(w * t.sets + set);
    } else {
      for (let i = t.mtlbStart; i < t.size; i++) clear(i);
    }
  }

  private entryInfo(i: number): LA64TlbEntryInfo {
    const t = this.tlb;
    const ps = t.ps[i];
    const base = t.vpn2[i] * pow2(ps + 1);
    const signBit = 2 ** (this.valen - 1);
    const ehi = base >= signBit ? (BigInt(base) | ~((1n << BigInt(this.valen)) - 1n)) & 0xffff_ffff_ffff_ffffn : base;
    const big = (hi: number, lo: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    return {
      index: i === t.scratch ? -1 : i,
      ehi: toAddrValue(ehi, 'ehi') as VirtAddr,
      ps,
      asid: t.asid[i],
      g: t.g[i] !== 0,
      elo0: big(t.hi0[i], t.lo0[i]),
      elo1: big(t.hi1[i], t.lo1[i]),
    };
  }

  private layoutOrThrow(): LA64WalkLayout {
    const l = this.layout;
    if (typeof l === 'string') throw new RangeError(`loongarch64: unsupported page-walk layout: ${l}`);
    return l;
  }
}

interface CheckedEntry {
  va48: number;
  ps: number;
  asid: number;
  lo0: number;
  hi0: number;
  lo1: number;
  hi1: number;
}
